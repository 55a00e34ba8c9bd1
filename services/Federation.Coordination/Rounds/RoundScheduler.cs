using Federation.Audit.Registry;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Drives rounds: rebuilds the coordinator and the task registry from the history at start, closes rounds whose
/// deadline has passed, and, until <see cref="RoundPlan.Count"/> rounds have closed, opens the
/// next one whenever none is open (after that, rounds open when the model team asks). A failing step is logged and retried on the next tick; the aggregator keeps serving.
/// </summary>
public sealed class RoundScheduler(
    RoundCoordinator coordinator, TaskRegistry tasks, GatewayKeys keys, RoundPlan defaults, FederationProgress progress, TimeProvider clock, ILogger<RoundScheduler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private int waitingFor = -1;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await coordinator.InitializeAsync(stoppingToken);
        // After the coordinator: the configured job's version 0 must exist before it is recorded as task default.
        await tasks.InitializeAsync(defaults.ToTaskPlan(), stoppingToken);
        using var timer = new PeriodicTimer(Tick, clock);
        do
        {
            try
            {
                await StepAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogError(error, "Round scheduling step failed; retrying on the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task StepAsync(CancellationToken cancellationToken)
    {
        if (coordinator.LatestRound is { IsOpen: true })
        {
            await coordinator.CheckDeadlineAsync(cancellationToken);
        }
        else if (coordinator.RoundsClosed >= defaults.Count)
        {
            progress.MarkPlanCompleted();
        }
        else if (keys.Registry.ActiveIds(clock.GetUtcNow()).Count is var active && active < defaults.MinParticipants)
        {
            // A round opened now could only abort below quorum: wait for enrolments instead.
            if (waitingFor != active)
            {
                logger.LogWarning(
                    "Waiting to open the next round: {Active} gateways have a valid key, Aggregator:Rounds:MinParticipants is {Minimum} (enrol more with fedctl gateways enrol)",
                    active, defaults.MinParticipants);
                waitingFor = active;
            }
        }
        else
        {
            await coordinator.OpenRoundAsync(defaults, null, cancellationToken);
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
