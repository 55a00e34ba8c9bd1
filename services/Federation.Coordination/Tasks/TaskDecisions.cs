using Federation.Audit.Tasks;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using TaskStatus = Federation.Audit.Tasks.TaskStatus;

namespace Federation.Coordination.Tasks;

/// <summary>
/// The pure decisions about a task's life: given the catalog, what an operator asked for and the time, the event to
/// append, or a refusal (<see cref="TaskRefusedException"/>) with a message the operator can act on. Nothing is
/// appended when a decision is refused, so nothing is recorded half-way.
/// </summary>
public static class TaskDecisions
{
    /// <summary>Decides on creating a task whose initial model (as registered) has the given hash and length.</summary>
    /// <exception cref="TaskRefusedException">The id is unsafe or taken, or a plan value or the round count is out of range.</exception>
    public static TaskCreatedV2 Create(
        TaskCatalog catalog, string task, string description, string modelSha256, long modelBytes,
        IReadOnlyList<string> invited, TaskRoundPlan plan, int roundCount, TaskEvaluationPlan evaluation, string operatorName, DateTimeOffset now)
    {
        if (TaskIds.Problem(task) is { } problem)
        {
            throw new TaskRefusedException(problem);
        }

        if (catalog.Find(task) is { } existing)
        {
            throw new TaskRefusedException($"Task '{task}' already exists (created by {existing.Created.CreatedBy} at {existing.Created.CreatedAt:u}); choose another id.");
        }

        if ((PlanProblem(plan) ?? CountProblem(roundCount) ?? GateProblem(evaluation.Gate)) is { } planProblem)
        {
            throw new TaskRefusedException($"Task '{task}': {planProblem}");
        }

        return new TaskCreatedV2(task, description.Trim(), modelSha256, modelBytes, [.. invited.Distinct(StringComparer.Ordinal)], plan, roundCount, evaluation, operatorName, now);
    }

    /// <summary>Decides on pausing an active task.</summary>
    /// <exception cref="TaskRefusedException">The task does not exist, is not active, or no reason was given.</exception>
    public static TaskPaused Pause(TaskCatalog catalog, string task, string reason, string operatorName, DateTimeOffset now)
    {
        var record = Existing(catalog, task);
        RequireReason(reason, "pausing");
        return record.Status == TaskStatus.Active
            ? new TaskPaused(task, reason.Trim(), operatorName, now)
            : throw new TaskRefusedException($"Task '{task}' is {Describe(record.Status)}; only an active task can be paused.");
    }

    /// <summary>Decides on resuming a paused task.</summary>
    /// <exception cref="TaskRefusedException">The task does not exist or is not paused.</exception>
    public static TaskResumed Resume(TaskCatalog catalog, string task, string operatorName, DateTimeOffset now)
    {
        var record = Existing(catalog, task);
        return record.Status == TaskStatus.Paused
            ? new TaskResumed(task, operatorName, now)
            : throw new TaskRefusedException($"Task '{task}' is {Describe(record.Status)}; only a paused task can be resumed.");
    }

    /// <summary>Decides on retiring a task that is not retired yet.</summary>
    /// <exception cref="TaskRefusedException">The task does not exist, is already retired, or no reason was given.</exception>
    public static TaskRetired Retire(TaskCatalog catalog, string task, string reason, string operatorName, DateTimeOffset now)
    {
        var record = Existing(catalog, task);
        RequireReason(reason, "retiring");
        return record.Status != TaskStatus.Retired
            ? new TaskRetired(task, reason.Trim(), operatorName, now)
            : throw new TaskRefusedException($"Task '{task}' is already retired ({record.StatusReason}).");
    }

    /// <summary>Whether a round of the task may open now; null when it may, else why not.</summary>
    public static string? WhyNoRound(TaskCatalog catalog, string task) => catalog.Find(task) switch
    {
        null => $"Task '{task}' does not exist.",
        { Status: TaskStatus.Active } => null,
        var record => $"Task '{task}' is {Describe(record.Status)} ({record.StatusReason}); no round of it can open.",
    };

    private static TaskRecord Existing(TaskCatalog catalog, string task) =>
        catalog.Find(task) ?? throw new TaskRefusedException($"Task '{task}' does not exist.");

    private static void RequireReason(string reason, string action)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new TaskRefusedException($"A reason is required for {action} a task; it is recorded for auditors.");
        }
    }

    private static string Describe(TaskStatus status) => status.ToString().ToLowerInvariant();

    private static string? PlanProblem(TaskRoundPlan plan) =>
        plan.MinParticipants < 1 ? $"minParticipants is {plan.MinParticipants}; it must be at least 1."
        : !(plan.DurationSeconds > 0) ? $"durationSeconds is {plan.DurationSeconds}; it must be positive."
        : plan.MaxUpdateNorm is <= 0 or double.NaN ? $"maxUpdateNorm is {plan.MaxUpdateNorm}; it must be positive."
        : plan.Training.Epochs < 1 ? $"epochs is {plan.Training.Epochs}; it must be at least 1."
        : plan.Training.BatchSize < 1 ? $"batchSize is {plan.Training.BatchSize}; it must be at least 1."
        : !(plan.Training.LearningRate > 0) || double.IsInfinity(plan.Training.LearningRate) ? $"learningRate is {plan.Training.LearningRate}; it must be positive and finite."
        : null;

    private static string? CountProblem(int roundCount) =>
        roundCount < 0 ? $"rounds is {roundCount}; it must be 0 (rounds open only when asked) or more." : null;

    private static string? GateProblem(ReleaseGate? gate)
    {
        if (gate is null)
        {
            return null;
        }

        if (gate.MinReports < 1)
        {
            return $"the release gate's minReports is {gate.MinReports}; it must be at least 1.";
        }

        foreach (var threshold in gate.Thresholds)
        {
            if (string.IsNullOrWhiteSpace(threshold.Metric))
            {
                return "a release-gate threshold names no metric.";
            }

            if (threshold.Minimum is null && threshold.Maximum is null)
            {
                return $"the release-gate threshold on '{threshold.Metric}' has neither a minimum nor a maximum.";
            }

            if (threshold.Minimum is { } low && threshold.Maximum is { } high && low > high)
            {
                return $"the release-gate threshold on '{threshold.Metric}' has minimum {low} above maximum {high}.";
            }
        }

        return null;
    }
}
