using Federation.Contracts.Tasks;

namespace Federation.Contracts.Events;

/// <summary>
/// An operator created a task, saying how many of its rounds the aggregator runs by itself. Replaces
/// <see cref="TaskCreated"/> (shipped, so kept as it is) for new tasks; a v1 reads as this with
/// <see cref="RoundCount"/> 0. Its initial model follows as version 0 in the task's models stream
/// (<see cref="ModelVersionPublished"/> with strategy "initial").
/// </summary>
/// <param name="Task">The task id (a safe name, <see cref="TaskIds"/>).</param>
/// <param name="Description">What the task learns, for people.</param>
/// <param name="InitialModelSha256">SHA-256 of the initial model's safetensors bytes, as registered.</param>
/// <param name="InitialModelBytes">Length of those bytes.</param>
/// <param name="Invited">Gateways invited to the task's rounds; empty for every enrolled gateway with a valid key.</param>
/// <param name="RoundPlan">The default plan of the task's rounds.</param>
/// <param name="RoundCount">
/// Rounds the aggregator opens by itself, one after another, each once the previous one's model is published;
/// 0 means its rounds open only when the model team asks. For task <c>default</c> the aggregator's setting
/// <c>Aggregator:Rounds:Count</c> rules; this records the setting when the configured job was first recorded.
/// </param>
/// <param name="Evaluation">How its versions are evaluated and released.</param>
/// <param name="CreatedBy">The operator credential's name.</param>
/// <param name="CreatedAt">When.</param>
public sealed record TaskCreatedV2(
    string Task,
    string Description,
    string InitialModelSha256,
    long InitialModelBytes,
    IReadOnlyList<string> Invited,
    TaskRoundPlan RoundPlan,
    int RoundCount,
    TaskEvaluationPlan Evaluation,
    string CreatedBy,
    DateTimeOffset CreatedAt) : IFederationEvent
{
    /// <summary>A v1 creation, from before tasks had a round count: its rounds open only when asked.</summary>
    public static TaskCreatedV2 Upcast(TaskCreated created) => new(
        created.Task, created.Description, created.InitialModelSha256, created.InitialModelBytes, created.Invited,
        created.RoundPlan, 0, created.Evaluation, created.CreatedBy, created.CreatedAt);
}
