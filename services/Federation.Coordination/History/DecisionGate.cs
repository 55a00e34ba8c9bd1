using Federation.EventStore;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.History;

/// <summary>
/// The one gate through which every decision of the aggregator passes: read the cached state, decide, append with
/// the expected version, update the cache — for round streams and gateway key streams alike. Because key changes
/// and acceptances pass the same gate, an acceptance is appended before any key change decided after it, which is
/// the order auditors check (docs/FORMATS.md section 10, check 4). Work that needs no state (checking signatures
/// and payloads, aggregating a model) runs outside it.
/// </summary>
public sealed class DecisionGate(ILogger<DecisionGate> logger)
{
    /// <summary>How many times a decision is made again after another writer appended first.</summary>
    public const int MaxAttempts = 5;

    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>
    /// Runs <paramref name="decideAndAppend"/> alone. When its expected-version append finds that someone else
    /// appended first, <paramref name="refresh"/> rebuilds the cached state from the history (still inside the gate)
    /// and the decision is made again on it, up to <see cref="MaxAttempts"/> times in all.
    /// </summary>
    /// <exception cref="WrongExpectedVersionException">Every attempt met a concurrent append.</exception>
    public async Task<T> RunAsync<T>(Func<Task<T>> decideAndAppend, Func<Task> refresh, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await decideAndAppend();
                }
                catch (WrongExpectedVersionException conflict) when (attempt < MaxAttempts)
                {
                    logger.LogWarning("History moved under us ({Message}); rebuilding state and deciding again (attempt {Attempt} of {Max})", conflict.Message, attempt + 1, MaxAttempts);
                    await refresh();
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs <paramref name="decideAndAppend"/> alone; for decisions whose appends expect no particular version.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> decideAndAppend, CancellationToken cancellationToken) =>
        RunAsync(decideAndAppend, () => Task.CompletedTask, cancellationToken);
}
