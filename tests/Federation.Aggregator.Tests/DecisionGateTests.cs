using Federation.Coordination.History;
using Federation.EventStore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Aggregator.Tests;

public sealed class DecisionGateTests
{
    private readonly DecisionGate gate = new(NullLogger<DecisionGate>.Instance);

    [Fact]
    public async Task A_decision_that_meets_another_writers_append_is_made_again_on_refreshed_state()
    {
        var (attempts, refreshes) = (0, 0);

        var result = await gate.RunAsync(
            () => ++attempts == 1 ? throw new WrongExpectedVersionException("round-1", 3, 4) : Task.FromResult(attempts),
            () => { refreshes++; return Task.CompletedTask; },
            CancellationToken.None);

        (result, attempts, refreshes).ShouldBe((2, 2, 1));
    }

    [Fact]
    public async Task Retrying_is_bounded_and_the_last_conflict_reaches_the_caller()
    {
        var (attempts, refreshes) = (0, 0);

        await Should.ThrowAsync<WrongExpectedVersionException>(() => gate.RunAsync<int>(
            () => { attempts++; throw new WrongExpectedVersionException("models", 1, 2); },
            () => { refreshes++; return Task.CompletedTask; },
            CancellationToken.None));

        (attempts, refreshes).ShouldBe((DecisionGate.MaxAttempts, DecisionGate.MaxAttempts - 1));
    }

    [Fact]
    public async Task Decisions_pass_one_at_a_time()
    {
        var firstHeld = new TaskCompletionSource();
        var releaseFirst = new TaskCompletionSource();
        var first = gate.RunAsync(async () => { firstHeld.SetResult(); await releaseFirst.Task; return 1; }, CancellationToken.None);
        await firstHeld.Task;

        var secondStarted = false;
        var second = gate.RunAsync(() => { secondStarted = true; return Task.FromResult(2); }, CancellationToken.None);
        secondStarted.ShouldBeFalse();
        second.IsCompleted.ShouldBeFalse();

        releaseFirst.SetResult();
        (await first, await second, secondStarted).ShouldBe((1, 2, true));
    }
}
