using System.Collections.Concurrent;
using Federation.Contracts.Tasks;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Drives rounds: rebuilds the default task's coordinator and the task registry from the history at start, then runs
/// one loop per task, so one task's slow aggregation never delays another's deadlines. Every loop closes its task's
/// rounds whose deadline has passed, and until the task's round count of its rounds have closed, opens the next one
/// whenever none is open, the last one's model is published and the task is active (<see cref="RoundSchedule"/>).
/// The count is <see cref="RoundPlan.Count"/> for task <see cref="TaskIds.Default"/> and the recorded one
/// (<see cref="Contracts.Events.TaskCreatedV2.RoundCount"/>) for any other; with 0, rounds open when the model team
/// asks. A failing step is logged and retried on the next tick; the aggregator keeps serving.
/// </summary>
public sealed class RoundScheduler(
    TaskRounds rounds, TaskRegistry tasks, GatewayKeys keys, RoundPlan defaults, FederationProgress progress, TimeProvider clock, ILogger<RoundScheduler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await rounds.Default.InitializeAsync(stoppingToken);
        // After the coordinator: the configured job's version 0 must exist before it is recorded as task default.
        await tasks.InitializeAsync(defaults.ToTaskPlan(), defaults.Count, stoppingToken);
        var loops = new Dictionary<string, Task>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(Tick, clock);
        try
        {
            do
            {
                // Tasks created since the last tick get their loop.
                foreach (var task in (await tasks.CatalogAsync(stoppingToken)).Tasks.Keys.Where(task => !loops.ContainsKey(task)))
                {
                    loops[task] = RunTaskAsync(task, stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        finally
        {
            try
            {
                await Task.WhenAll(loops.Values);
            }
            catch (OperationCanceledException)
            {
                // Stopping: every loop ends this way.
            }
        }
    }

    private async Task RunTaskAsync(string task, CancellationToken stoppingToken)
    {
        // Its own timer: a step that aggregates holds up only this task's next tick.
        using var timer = new PeriodicTimer(Tick, clock);
        ScheduleDecision? last = null;
        do
        {
            try
            {
                if (await rounds.FindAsync(task, stoppingToken) is { } coordinator)
                {
                    last = await StepAsync(coordinator, last, stoppingToken);
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogError(error, "Round scheduling step of task {Task} failed; retrying on the next tick", task);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Decides and takes the task's next step; <paramref name="last"/> is the step before, so it logs a change once rather than every tick.</summary>
    private async Task<ScheduleDecision> StepAsync(RoundCoordinator coordinator, ScheduleDecision? last, CancellationToken cancellationToken)
    {
        var catalog = await tasks.CatalogAsync(cancellationToken);
        var isDefault = coordinator.TaskId == TaskIds.Default;
        var record = catalog.Find(coordinator.TaskId);
        var (registry, now) = (keys.Registry, clock.GetUtcNow());
        IReadOnlyList<string> invited = isDefault ? [] : record?.Created.Invited ?? [];
        var plan = isDefault || record is null ? defaults : RoundPlan.FromTaskPlan(record.Created.RoundPlan);
        var count = isDefault ? defaults.Count : record?.Created.RoundCount ?? 0;
        var decision = RoundSchedule.Next(new ScheduleFacts(
            coordinator.TaskId,
            coordinator.LatestRound is { IsOpen: true },
            coordinator.AwaitsModel,
            coordinator.RoundsClosed,
            count,
            TaskDecisions.WhyNoRound(catalog, coordinator.TaskId),
            plan,
            invited,
            [.. invited.Where(gateway => registry.Find(gateway) is null)],
            registry.ActiveIds(now)));
        if (decision != last && decision is { Step: ScheduledStep.Wait, Reason: { } reason })
        {
            logger.LogWarning("Not opening the next round of task {Task}: {Reason}", coordinator.TaskId, reason);
        }
        else if (decision.Step == ScheduledStep.PlanDone && count > 0 && last is { Step: ScheduledStep.CheckDeadline or ScheduledStep.None })
        {
            // Seen closing its last round (not at a start after it ran).
            logger.LogInformation("Task {Task} ran its {Count} scheduled rounds; more open when the model team asks", coordinator.TaskId, count);
        }

        switch (decision.Step)
        {
            case ScheduledStep.CheckDeadline:
                await coordinator.CheckDeadlineAsync(cancellationToken);
                break;
            case ScheduledStep.PlanDone:
                progress.MarkPlanCompleted(coordinator.TaskId);
                break;
            case ScheduledStep.Open:
                await coordinator.OpenRoundAsync(plan, invited.Count > 0 ? invited : null, cancellationToken);
                break;
        }

        return decision;
    }
}

/// <summary>Lets the process that hosts the aggregator (the demo, tests) wait for round plans to finish.</summary>
public sealed class FederationProgress
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> completed = new(StringComparer.Ordinal);

    /// <summary>Completes when the configured number of rounds of task <see cref="TaskIds.Default"/> has closed.</summary>
    public Task PlanCompleted => TaskPlanCompleted(TaskIds.Default);

    /// <summary>
    /// Completes when <paramref name="task"/>'s round count of its rounds has closed and the last one's model, if any,
    /// is published (at once, once the scheduler sees the task, for a count of 0).
    /// </summary>
    public Task TaskPlanCompleted(string task) => Completion(task).Task;

    internal void MarkPlanCompleted(string task) => Completion(task).TrySetResult();

    private TaskCompletionSource Completion(string task) =>
        completed.GetOrAdd(task, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
