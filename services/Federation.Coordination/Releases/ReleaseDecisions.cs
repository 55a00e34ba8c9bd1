using System.Globalization;
using Federation.Audit.Releases;
using Federation.Contracts.Api;
using Federation.Contracts.Events;

namespace Federation.Coordination.Releases;

/// <summary>
/// What a task's releases stream says about each version, and the operator's release of a held version. Pure: the
/// <see cref="ReleaseRecorder"/> reads the streams and appends what these decide.
/// </summary>
public static class ReleaseDecisions
{
    /// <summary>The latest release decision of each version, from a releases stream's events in stream order.</summary>
    public static IReadOnlyDictionary<int, IFederationEvent> Latest(IEnumerable<IFederationEvent> releases)
    {
        var latest = new Dictionary<int, IFederationEvent>();
        foreach (var decision in releases)
        {
            switch (decision)
            {
                case ModelVersionReleased released:
                    latest[released.Version] = released;
                    break;
                case ModelVersionHeld held:
                    latest[held.Version] = held;
                    break;
            }
        }

        return latest;
    }

    /// <summary>
    /// An operator's release of <paramref name="version"/>, whose latest decision is <paramref name="latest"/>.
    /// </summary>
    /// <exception cref="ReleaseRefusedException">
    /// The version was never published, the reason is blank, or the version is not held (already released, or no
    /// decision yet).
    /// </exception>
    public static ModelVersionReleased ReleaseHeld(
        string task, int version, bool published, IFederationEvent? latest, string operatorName, string? reason, DateTimeOffset now)
    {
        if (!published)
        {
            throw new ReleaseRefusedException($"Model version {version} of task '{task}' has not been published (fedctl models ls --task {task} lists them).");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ReleaseRefusedException($"Releasing a held version needs a reason (--reason): why is version {version} of task '{task}' good enough although its gate held it?");
        }

        return latest switch
        {
            ModelVersionHeld held => ReleaseGateDecision.ReleaseHeld(held, operatorName, reason.Trim(), now),
            ModelVersionReleased released => throw new ReleaseRefusedException(
                $"Model version {version} of task '{task}' is already released ({(released.ReleasedBy is { } by ? $"by {by}" : "by its gate")} at {released.ReleasedAt:u}); only a held version can be released."),
            _ => throw new ReleaseRefusedException(
                $"Model version {version} of task '{task}' is not held: its gate has not decided (too few evaluation reports, or the task has no gate); only a held version can be released."),
        };
    }

    /// <summary>The API's view of a version whose latest decision is <paramref name="latest"/> (null for none).</summary>
    public static ModelRelease Status(IFederationEvent? latest) => latest switch
    {
        ModelVersionReleased released => new ModelRelease(ReleaseStatus.Released, released.Reason, released.ReleasedBy, released.ReleasedAt, released.Checks),
        ModelVersionHeld held => new ModelRelease(ReleaseStatus.Held, Failures(held.Checks), null, held.HeldAt, held.Checks),
        _ => ModelRelease.None,
    };

    /// <summary>The failing checks in words, e.g. <c>accuracy on class=3 is 0.7012 over 240 samples, below the minimum 0.75</c>.</summary>
    public static string Failures(IEnumerable<GateCheck> checks) =>
        string.Join("; ", checks.Where(check => !check.Passed).Select(Describe));

    private static string Describe(GateCheck check)
    {
        var scope = check.Slice switch
        {
            null => "",
            "*" => " on every slice",
            var slice => $" on {slice}",
        };
        if (check.Measured is not { } measured)
        {
            return $"{check.Metric}{scope} was not measured";
        }

        var bound = check.Minimum is { } minimum && measured < minimum
            ? $"below the minimum {Number(minimum)}"
            : $"above the maximum {Number(check.Maximum ?? double.NaN)}";
        return $"{check.Metric}{scope} is {Number(measured)} over {check.SampleCount.ToString(CultureInfo.InvariantCulture)} samples, {bound}";
    }

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
