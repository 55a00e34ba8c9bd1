using Federation.Contracts.Events;

namespace Federation.Contracts.Api;

/// <summary>
/// One entry of <c>GET /api/models</c>: every member of the version's <see cref="ModelVersionPublished"/>, under the
/// same names, plus its release status. A client that reads the entries as <see cref="ModelVersionPublished"/>
/// (fedctl before release gates) reads them as before and ignores <see cref="Release"/>.
/// </summary>
/// <param name="Version">The model version.</param>
/// <param name="ModelSha256">SHA-256 of its safetensors bytes.</param>
/// <param name="ModelBytes">Length of those bytes.</param>
/// <param name="Round">The round that produced it; null for version 0.</param>
/// <param name="BaseModelVersion">The version it was aggregated on; null for version 0.</param>
/// <param name="Strategy">The strategy that aggregated it, or "initial".</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
/// <param name="StrategyStateSha256">SHA-256 of the strategy's saved state, or null.</param>
/// <param name="Contributions">The contributions given to the strategy, in aggregation order.</param>
/// <param name="PublishedAt">When it was published.</param>
/// <param name="Release">Whether its task's release gate (or an operator) released or held it.</param>
public sealed record ModelVersionListing(
    int Version,
    string ModelSha256,
    long ModelBytes,
    int? Round,
    int? BaseModelVersion,
    string Strategy,
    IReadOnlyDictionary<string, double> StrategyParameters,
    string? StrategyStateSha256,
    IReadOnlyList<ContributionUsed> Contributions,
    DateTimeOffset PublishedAt,
    ModelRelease Release)
{
    /// <summary>The listing of <paramref name="published"/> with its release status.</summary>
    public static ModelVersionListing Of(ModelVersionPublished published, ModelRelease release)
    {
        ArgumentNullException.ThrowIfNull(published);
        return new ModelVersionListing(
            published.Version, published.ModelSha256, published.ModelBytes, published.Round, published.BaseModelVersion, published.Strategy,
            published.StrategyParameters, published.StrategyStateSha256, published.Contributions, published.PublishedAt, release);
    }
}

/// <summary>Where a model version stands with its task's release gate.</summary>
public enum ReleaseStatus
{
    /// <summary>No decision: the task has no gate, or too few gateways have reported yet.</summary>
    None,

    /// <summary>The gate released it, or an operator released it after the gate held it.</summary>
    Released,

    /// <summary>The gate held it: at least one threshold failed.</summary>
    Held,
}

/// <summary>A model version's latest release decision, as the API shows it.</summary>
/// <param name="Status">Released, held or none.</param>
/// <param name="Reason">For a held version, the failing checks in words; for an operator's release, the operator's reason; otherwise null.</param>
/// <param name="ReleasedBy">The operator credential that released a held version; null when the gate decided.</param>
/// <param name="DecidedAt">When the decision was recorded; null for none.</param>
/// <param name="Checks">The gate's checks with their measured values; empty for none.</param>
public sealed record ModelRelease(ReleaseStatus Status, string? Reason, string? ReleasedBy, DateTimeOffset? DecidedAt, IReadOnlyList<GateCheck> Checks)
{
    /// <summary>No decision.</summary>
    public static ModelRelease None { get; } = new(ReleaseStatus.None, null, null, null, []);
}

/// <summary>An operator's request to release a held model version.</summary>
/// <param name="Reason">Why it is released although the gate held it, in words an auditor reads later; required.</param>
public sealed record ModelReleaseRequest(string? Reason = null);
