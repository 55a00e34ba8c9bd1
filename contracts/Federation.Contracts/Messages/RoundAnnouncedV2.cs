using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// Published by the aggregator when a round of a task opens: which model to start from (by hash) and how to train.
/// Replaces <see cref="RoundAnnounced"/>, which carried the model inline and knew no tasks; a gateway reads a v1
/// announcement still waiting in its queue as one of task <c>default</c>.
/// </summary>
/// <param name="Task">The task the round belongs to.</param>
/// <param name="Round">Round number within the task, counting from 1.</param>
/// <param name="BaseModelVersion">Model version the round starts from.</param>
/// <param name="BaseModel">The base model's hash and length; the bytes are fetched, not sent.</param>
/// <param name="Training">Local training parameters.</param>
/// <param name="Invited">Gateway ids invited to contribute.</param>
/// <param name="Deadline">Contributions received after this instant are rejected as late.</param>
[MessageUrn("federation:round-announced:v2")]
public sealed record RoundAnnouncedV2(
    string Task,
    int Round,
    int BaseModelVersion,
    ModelReference BaseModel,
    TrainingPlan Training,
    IReadOnlyList<string> Invited,
    DateTimeOffset Deadline);
