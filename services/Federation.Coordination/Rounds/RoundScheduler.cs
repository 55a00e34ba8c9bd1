using Federation.Audit.Registry;
using Federation.Contracts.Tasks;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Drives rounds: rebuilds the default task's coordinator and the task registry from the history at start, then runs
/// one loop per task, so one task's slow aggregation never delays another's deadlines. Every loop closes its task's
/// rounds whose deadline has passed. For task <see cref="TaskIds.Default"/>, until <see cref="RoundPlan.Count"/> of its
/// rounds have closed, it also opens the next one whenever none is open and the task is active (after that, and for
/// every other task, rounds open when the model team asks). A failing step is logged and retried on the next tick; the
/// aggregator keeps serving.
/// </summary>
public sealed class RoundScheduler(
    TaskRounds rounds, TaskRegistry tasks, GatewayKeys keys, RoundPlan defaults, FederationProgress progress, TimeProvider clock, ILogger<RoundScheduler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private string? waitingFor;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await rounds.Default.InitializeAsync(stoppingToken);
        // After the coordinator: the configured job's version 0 must exist before it is recorded as task default.
        await tasks.InitializeAsync(defaults.ToTaskPlan(), stoppingToken);
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
        do
        {
            try
            {
                if (await rounds.FindAsync(task, stoppingToken) is { } coordinator)
                {
                    await StepAsync(coordinator, stoppingToken);
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogError(error, "Round scheduling step of task {Task} failed; retrying on the next tick", task);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task StepAsync(RoundCoordinator coordinator, CancellationToken cancellationToken)
    {
        if (coordinator.LatestRound is { IsOpen: true })
        {
            await coordinator.CheckDeadlineAsync(cancellationToken);
        }
        else if (coordinator.TaskId != TaskIds.Default)
        {
            // A created task's rounds open when the model team asks (fedctl rounds open --task).
        }
        else if (coordinator.RoundsClosed >= defaults.Count)
        {
            // The plan is done once the last round's model is in the history too, not between its two appends.
            if (!coordinator.AwaitsModel)
            {
                progress.MarkPlanCompleted();
            }
        }
        else if (TaskDecisions.WhyNoRound(await tasks.CatalogAsync(cancellationToken), coordinator.TaskId) is { } reason)
        {
            WaitFor(reason, () => logger.LogWarning("Not opening the next round: {Reason}", reason));
        }
        else if (keys.Registry.ActiveIds(clock.GetUtcNow()).Count is var active && active < defaults.MinParticipants)
        {
            // A round opened now could only abort below quorum: wait for enrolments instead.
            WaitFor($"{active} active", () => logger.LogWarning(
                "Waiting to open the next round: {Active} gateways have a valid key, Aggregator:Rounds:MinParticipants is {Minimum} (enrol more with fedctl gateways enrol)",
                active, defaults.MinParticipants));
        }
        else
        {
            waitingFor = null;
            await coordinator.OpenRoundAsync(defaults, null, cancellationToken);
        }
    }

    /// <summary>Logs why the next round waits, once per reason rather than every tick.</summary>
    private void WaitFor(string reason, Action log)
    {
        if (waitingFor != reason)
        {
            log();
            waitingFor = reason;
        }
    }
}

/// <summary>Lets the process that hosts the aggregator (the demo, tests) wait for the round plan to finish.</summary>
public sealed class FederationProgress
{
    private readonly TaskCompletionSource planCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the configured number of rounds has closed.</summary>
    public Task PlanCompleted => planCompleted.Task;

    internal void MarkPlanCompleted() => planCompleted.TrySetResult();
}
