using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Aggregator.Rounds;

/// <summary>
/// Drives the round plan: rebuilds the coordinator from the history at start, opens a round
/// whenever none is open, and closes rounds whose deadline has passed, until the plan's rounds
/// are done. A failing step is logged and retried on the next tick; the aggregator keeps serving.
/// </summary>
public sealed class RoundScheduler(
    RoundCoordinator coordinator, AggregatorOptions options, FederationProgress progress, TimeProvider clock, ILogger<RoundScheduler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await coordinator.InitializeAsync(stoppingToken);
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
        if (coordinator.RoundsClosed >= options.Rounds.Count)
        {
            progress.MarkPlanCompleted();
        }
        else if (coordinator.LatestRound is { IsOpen: true })
        {
            await coordinator.CheckDeadlineAsync(cancellationToken);
        }
        else
        {
            await coordinator.OpenNextRoundAsync(cancellationToken);
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
