using Federation.Contracts.Tasks;

namespace Federation.Contracts.Events;

/// <summary>
/// An operator created a task: one federated learning job with its own model lineage. Its initial model follows as
/// version 0 in the task's models stream (<see cref="ModelVersionPublished"/> with strategy "initial").
/// Shipped, so never changed: new tasks are recorded as <see cref="TaskCreatedV2"/>, which adds a round count.
/// </summary>
/// <param name="Task">The task id (a safe name, <see cref="TaskIds"/>).</param>
/// <param name="Description">What the task learns, for people.</param>
/// <param name="InitialModelSha256">SHA-256 of the initial model's safetensors bytes, as registered.</param>
/// <param name="InitialModelBytes">Length of those bytes.</param>
/// <param name="Invited">Gateways invited to the task's rounds; empty for every enrolled gateway with a valid key.</param>
/// <param name="RoundPlan">The default plan of the task's rounds.</param>
/// <param name="Evaluation">How its versions are evaluated and released.</param>
/// <param name="CreatedBy">The operator credential's name.</param>
/// <param name="CreatedAt">When.</param>
public sealed record TaskCreated(
    string Task,
    string Description,
    string InitialModelSha256,
    long InitialModelBytes,
    IReadOnlyList<string> Invited,
    TaskRoundPlan RoundPlan,
    TaskEvaluationPlan Evaluation,
    string CreatedBy,
    DateTimeOffset CreatedAt) : IFederationEvent;
