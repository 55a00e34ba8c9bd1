using System.Globalization;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Policies;
using Federation.Site.State;

namespace Federation.Site.Evaluation;

/// <summary>
/// Maps an evaluation report's metrics onto <see cref="PolicyEvaluator.EvaluateMetrics"/>, which judges one set of
/// distinct metric names: the overall metrics (no slice) are one set, and each slice (e.g. <c>class=3</c>) is another,
/// judged under the same rules, so every per-class value must also reach its metric's <c>minimumSamples</c>.
/// </summary>
/// <remarks>
/// The overall metrics must pass, or nothing is reported. A slice computed over too few samples is dropped from the
/// report (a small class at one site would otherwise leak more about a handful of records than the policy allows);
/// the decision names every dropped slice with its reason, and the report names the slices alone. A slice failing any other check refuses the whole report.
/// </remarks>
public static class MetricsRelease
{
    /// <summary>The gateway's own check, recorded after the evaluator's: which slices were kept and which dropped.</summary>
    public const string SliceCheck = "metric-slices";

    /// <summary>Decides which of <paramref name="metrics"/> may leave.</summary>
    /// <param name="policy">The policy in force.</param>
    /// <param name="metrics">The metrics the gateway computed.</param>
    /// <param name="aggregatorKeyId">The receiving aggregator's key id.</param>
    /// <param name="now">The decision time.</param>
    /// <param name="subject">What the decision is about, e.g. <c>model v3</c>.</param>
    /// <param name="task">The task whose model was evaluated; its metric rules apply, and a task the policy does not name is refused.</param>
    /// <returns>
    /// The decision to record and, when allowed, the metrics to sign (in their original order) and the slices dropped
    /// for too few samples (in the order first met; empty when none or when refused).
    /// </returns>
    public static (DecisionDraft Decision, IReadOnlyList<MetricValue>? Released, IReadOnlyList<string> DroppedSlices) Decide(
        LoadedPolicy policy, IReadOnlyList<MetricValue> metrics, string aggregatorKeyId, DateTimeOffset now, string subject, string task = TaskIds.Default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(metrics);
        var overall = PolicyEvaluator.EvaluateMetrics(policy.Policy, policy.Hash, Reports(metrics.Where(metric => metric.Slice is null)), aggregatorKeyId, now, task);
        if (!overall.IsAllowed)
        {
            return (DecisionDraft.From(overall, subject), null, []);
        }

        var kept = new HashSet<string>(StringComparer.Ordinal);
        var dropped = new List<(string Slice, string Reason)>();
        foreach (var slice in metrics.Select(metric => metric.Slice).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var decision = PolicyEvaluator.EvaluateMetrics(policy.Policy, policy.Hash, Reports(metrics.Where(metric => metric.Slice == slice)), aggregatorKeyId, now, task);
            if (decision.IsAllowed)
            {
                kept.Add(slice);
            }
            else if (decision.Checks[^1].Name == PolicyChecks.MetricMinimumSamples)
            {
                dropped.Add((slice, decision.Reason!));
            }
            else
            {
                var refused = new PolicyCheck(SliceCheck, false, $"slice '{slice}': {decision.Reason}");
                return (DecisionDraft.From(overall, subject, [.. overall.Checks, refused]) with { Allowed = false, Reason = refused.Detail }, null, []);
            }
        }

        var detail = string.Create(CultureInfo.InvariantCulture, $"{kept.Count} slices kept")
            + (dropped.Count == 0 ? "; none below its metric's minimum samples" : $"; dropped {dropped.Count} below their metric's minimum samples: {string.Join("; ", dropped.Select(each => $"{each.Slice} ({each.Reason})"))}");
        var released = metrics.Where(metric => metric.Slice is null || kept.Contains(metric.Slice)).ToList();
        return (DecisionDraft.From(overall, subject, [.. overall.Checks, new PolicyCheck(SliceCheck, true, detail)]), released, [.. dropped.Select(each => each.Slice)]);
    }

    private static List<MetricReport> Reports(IEnumerable<MetricValue> metrics) =>
        [.. metrics.Select(metric => new MetricReport(metric.Name, metric.Value, metric.SampleCount))];
}
