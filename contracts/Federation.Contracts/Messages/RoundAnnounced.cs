using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// Published by the aggregator when a round opens: which model to start from and how to train.
/// </summary>
/// <param name="Round">Round number, counting from 1.</param>
/// <param name="BaseModelVersion">Model version the round starts from.</param>
/// <param name="BaseModelSha256">SHA-256 (lowercase hex) of <paramref name="BaseModel"/>.</param>
/// <param name="BaseModel">The base model as safetensors bytes.</param>
/// <param name="Training">Local training parameters.</param>
/// <param name="Invited">Gateway ids invited to contribute.</param>
/// <param name="Deadline">Contributions received after this instant are rejected as late.</param>
[MessageUrn("federation:round-announced:v1")]
public sealed record RoundAnnounced(
    int Round,
    int BaseModelVersion,
    string BaseModelSha256,
    byte[] BaseModel,
    TrainingPlan Training,
    IReadOnlyList<string> Invited,
    DateTimeOffset Deadline);
