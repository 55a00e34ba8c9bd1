using Federation.Contracts.Events;
using Federation.Contracts.Tasks;

namespace Federation.Contracts.Api;

/// <summary>
/// The model team's request to create a task: the JSON part named <c>request</c> of a multipart form whose part
/// named <c>model</c> is the initial model's safetensors file.
/// </summary>
/// <param name="Task">The task id, a safe name such as <c>weld-photos</c>.</param>
/// <param name="Description">What the task learns.</param>
/// <param name="Round">The task's default round plan; what it leaves out comes from the aggregator's defaults.</param>
/// <param name="Metrics">The metrics its evaluations report.</param>
/// <param name="Gate">Its release gate, if any.</param>
/// <param name="Rounds">
/// Rounds the aggregator opens by itself, one after another; absent or 0 for rounds that open only when asked
/// (requests from before this member still mean that).
/// </param>
public sealed record CreateTaskRequest(
    string Task,
    string Description,
    OpenRoundRequest? Round = null,
    List<string>? Metrics = null,
    ReleaseGate? Gate = null,
    int? Rounds = null);

/// <summary>An operator's reason for pausing or retiring a task.</summary>
/// <param name="Reason">Why, in words an auditor reads later.</param>
public sealed record TaskChangeRequest(string? Reason = null);

/// <summary>A task as the API shows it.</summary>
/// <param name="Created">How it was created: plan, initial model, who and when.</param>
/// <param name="Status"><c>Active</c>, <c>Paused</c> or <c>Retired</c>.</param>
/// <param name="StatusReason">The operator's reason for a pause or retirement.</param>
/// <param name="LatestModelVersion">Its latest model version.</param>
/// <param name="RoundCount">
/// Rounds the aggregator runs by itself: the recorded count (<see cref="TaskCreatedV2.RoundCount"/>), or for task
/// <c>default</c> the aggregator's setting <c>Aggregator:Rounds:Count</c>; 0 when rounds open only when asked.
/// </param>
/// <param name="RoundsRun">Rounds of the task closed so far, whatever their outcome.</param>
public sealed record TaskSummary(TaskCreatedV2 Created, string Status, string? StatusReason, int? LatestModelVersion, int RoundCount, int RoundsRun);
