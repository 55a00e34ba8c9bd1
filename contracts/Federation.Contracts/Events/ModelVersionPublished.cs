namespace Federation.Contracts.Events;

/// <summary>
/// A model version exists. Version 0 is the initial model (no round, no contributions); every
/// later version lists the contributions it was aggregated from, in aggregation order.
/// </summary>
/// <param name="Version">The model version.</param>
/// <param name="ModelSha256">SHA-256 of the model's safetensors bytes, its name in the payload store.</param>
/// <param name="ModelBytes">Length of those bytes.</param>
/// <param name="Round">The round that produced it; null for the initial model.</param>
/// <param name="BaseModelVersion">The version it was aggregated on top of; null for the initial model.</param>
/// <param name="Strategy">The strategy that aggregated it, or "initial" for version 0.</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
/// <param name="StrategyStateSha256">SHA-256 of the strategy's state after this round (server momentum or moments, as safetensors), for strategies that keep state; null otherwise.</param>
/// <param name="Contributions">Every accepted contribution of the round, in the order it was given to the strategy.</param>
/// <param name="PublishedAt">When it was published.</param>
public sealed record ModelVersionPublished(
    int Version,
    string ModelSha256,
    long ModelBytes,
    int? Round,
    int? BaseModelVersion,
    string Strategy,
    IReadOnlyDictionary<string, double> StrategyParameters,
    string? StrategyStateSha256,
    IReadOnlyList<ContributionUsed> Contributions,
    DateTimeOffset PublishedAt) : IFederationEvent;

/// <summary>One contribution given to the strategy that made a model version.</summary>
/// <param name="GatewayId">The contributing gateway.</param>
/// <param name="KeyId">The key that signed it.</param>
/// <param name="PayloadSha256">SHA-256 of its payload.</param>
/// <param name="SampleCount">Its sample count (the FedAvg weight).</param>
/// <param name="Selected">Whether the strategy kept it: Krum, Multi-Krum and Bulyan leave some out; the others keep all.</param>
public sealed record ContributionUsed(string GatewayId, string KeyId, string PayloadSha256, long SampleCount, bool Selected);
