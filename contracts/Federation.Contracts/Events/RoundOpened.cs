using Federation.Contracts.Messages;

namespace Federation.Contracts.Events;

/// <summary>A round was opened.</summary>
/// <param name="Round">Round number, counting from 1.</param>
/// <param name="BaseModelVersion">Model version the round starts from.</param>
/// <param name="BaseModelSha256">SHA-256 of that model's safetensors bytes.</param>
/// <param name="Strategy">Aggregation strategy, e.g. "fedavg" or "krum".</param>
/// <param name="StrategyParameters">The strategy's parameters, e.g. {"f": 1} for Krum.</param>
/// <param name="MaxUpdateNorm">Updates whose L2 norm exceeds this are rejected; null for no bound.</param>
/// <param name="MinParticipants">Accepted contributions needed to aggregate at the deadline.</param>
/// <param name="Invited">Gateways invited to contribute.</param>
/// <param name="Training">Local training parameters sent to the gateways.</param>
/// <param name="Deadline">Contributions after this instant are rejected.</param>
/// <param name="OpenedAt">When the round opened.</param>
public sealed record RoundOpened(
    int Round,
    int BaseModelVersion,
    string BaseModelSha256,
    string Strategy,
    IReadOnlyDictionary<string, double> StrategyParameters,
    double? MaxUpdateNorm,
    int MinParticipants,
    IReadOnlyList<string> Invited,
    TrainingPlan Training,
    DateTimeOffset Deadline,
    DateTimeOffset OpenedAt) : IFederationEvent;
