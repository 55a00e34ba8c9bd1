namespace Federation.Contracts.Tasks;

/// <summary>
/// A task's stage gate: the thresholds a model version's sample-weighted federated evaluation must meet before it is
/// released. Every threshold must pass; a version with no threshold failing is released, otherwise held.
/// </summary>
/// <param name="Thresholds">The thresholds, checked in order.</param>
/// <param name="MinReports">Evaluation reports (from distinct gateways) needed before the gate decides.</param>
public sealed record ReleaseGate(IReadOnlyList<GateThreshold> Thresholds, int MinReports);

/// <summary>One threshold of a release gate.</summary>
/// <param name="Metric">The metric, e.g. "accuracy".</param>
/// <param name="Slice">
/// Null for the metric over all data; a slice name (e.g. "class=Coat") for that slice; <c>"*"</c> for every slice
/// the evaluations report with at least <paramref name="MinSamples"/> samples.
/// </param>
/// <param name="Minimum">The value must be at least this; null for no lower bound.</param>
/// <param name="Maximum">The value must be at most this (e.g. for a loss); null for no upper bound.</param>
/// <param name="MinSamples">Slices with fewer samples than this are not checked (only for <c>"*"</c>).</param>
public sealed record GateThreshold(string Metric, string? Slice, double? Minimum, double? Maximum, long MinSamples = 0)
{
    /// <summary>The slice value meaning "every slice".</summary>
    public const string EverySlice = "*";
}
