using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;

namespace Federation.Audit.Releases;

/// <summary>
/// Decides whether a model version passes its task's release gate. Pure, so an auditor recomputes the decision from
/// a bundle's evaluations and compares it with the recorded one (docs/FORMATS.md describes the computation).
/// </summary>
public static class ReleaseGateDecision
{
    /// <summary>
    /// Decides the release of <paramref name="version"/> from its recorded evaluations.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="version">The model version.</param>
    /// <param name="modelSha256">SHA-256 of the version's safetensors bytes.</param>
    /// <param name="gate">The task's gate; null releases the version at once, with no checks.</param>
    /// <param name="evaluations">
    /// The recorded evaluations in stream order; those of other versions are ignored, and of several from one
    /// gateway only the last counts.
    /// </param>
    /// <param name="now">The decision's time.</param>
    /// <returns>
    /// Null while fewer than <see cref="ReleaseGate.MinReports"/> gateways have reported; otherwise a
    /// <see cref="ModelVersionReleased"/> when every check passes, else a <see cref="ModelVersionHeld"/>.
    /// </returns>
    public static IFederationEvent? Decide(
        string task, int version, string modelSha256, ReleaseGate? gate, IEnumerable<GatedEvaluation> evaluations, DateTimeOffset now)
    {
        var latest = LatestPerGateway(version, evaluations);
        var used = latest.Select(item => new EvaluationUsed(item.Evaluation.GatewayId, item.Evaluation.KeyId, item.ReportSha256)).ToList();
        if (gate is null)
        {
            return new ModelVersionReleased(task, version, modelSha256, [], used, null, null, now);
        }

        if (latest.Count < gate.MinReports)
        {
            return null;
        }

        var metrics = latest.Select(item => item.Evaluation.Metrics).ToList();
        var checks = gate.Thresholds.SelectMany(threshold => Check(threshold, metrics)).ToList();
        return checks.All(check => check.Passed)
            ? new ModelVersionReleased(task, version, modelSha256, checks, used, null, null, now)
            : new ModelVersionHeld(task, version, modelSha256, checks, used, now);
    }

    /// <summary>An operator's release of a held version, keeping the checks and evaluations the gate held it on.</summary>
    /// <param name="held">The held decision.</param>
    /// <param name="releasedBy">The operator credential's name.</param>
    /// <param name="reason">Why the operator released it anyway; required.</param>
    /// <param name="now">When.</param>
    /// <exception cref="ArgumentException">The operator or the reason is blank.</exception>
    public static ModelVersionReleased ReleaseHeld(ModelVersionHeld held, string releasedBy, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (string.IsNullOrWhiteSpace(releasedBy))
        {
            throw new ArgumentException("An operator release must name the operator.", nameof(releasedBy));
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ArgumentException("An operator release of a held version must give a reason.", nameof(reason));
        }

        return new ModelVersionReleased(held.Task, held.Version, held.ModelSha256, held.Checks, held.Evaluations, releasedBy, reason, now);
    }

    // A gateway may count once; the last of its reports (in stream order) is the one it stands by. Ordered by
    // gateway so the weighted sums below add up in one order everywhere.
    private static List<GatedEvaluation> LatestPerGateway(int version, IEnumerable<GatedEvaluation> evaluations)
    {
        var latest = new Dictionary<string, GatedEvaluation>(StringComparer.Ordinal);
        foreach (var item in evaluations.Where(item => item.Evaluation.ModelVersion == version))
        {
            latest[item.Evaluation.GatewayId] = item;
        }

        return latest.Values.OrderBy(item => item.Evaluation.GatewayId, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<GateCheck> Check(GateThreshold threshold, List<IReadOnlyList<MetricValue>> reports)
    {
        if (threshold.Slice != GateThreshold.EverySlice)
        {
            return [Check(threshold, threshold.Slice, reports)];
        }

        var slices = reports.SelectMany(metrics => metrics)
            .Where(metric => metric.Name == threshold.Metric && metric.Slice is not null)
            .GroupBy(metric => metric.Slice!, StringComparer.Ordinal)
            .Where(group => group.Sum(metric => metric.SampleCount) >= threshold.MinSamples)
            .Select(group => group.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        // A gate on every slice with no slice to check has measured nothing, which fails like any missing
        // measurement; the check keeps "*" since there is no concrete slice to name.
        return slices.Count == 0
            ? [new GateCheck(threshold.Metric, GateThreshold.EverySlice, threshold.Minimum, threshold.Maximum, null, 0, false)]
            : slices.Select(slice => Check(threshold, slice, reports));
    }

    private static GateCheck Check(GateThreshold threshold, string? slice, List<IReadOnlyList<MetricValue>> reports)
    {
        // Summed report by report in gateway order, so a recomputation adds in the same order and gets the same bits.
        var (weighted, samples) = (0.0, 0L);
        foreach (var metric in reports.SelectMany(metrics => metrics.Where(metric => metric.Name == threshold.Metric && metric.Slice == slice)))
        {
            weighted += metric.Value * metric.SampleCount;
            samples += metric.SampleCount;
        }

        double? measured = samples > 0 ? weighted / samples : null;
        var passed = measured is { } value
            && (threshold.Minimum is not { } minimum || value >= minimum)
            && (threshold.Maximum is not { } maximum || value <= maximum);
        return new GateCheck(threshold.Metric, slice, threshold.Minimum, threshold.Maximum, measured, samples, passed);
    }
}
