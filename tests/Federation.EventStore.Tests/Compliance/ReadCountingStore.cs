using System.Runtime.CompilerServices;

namespace Federation.EventStore.Tests.Compliance;

/// <summary>
/// A store that tells when a reader has finished reading it. A subscription test waits for "the subscription read the
/// store and found nothing more" rather than for some milliseconds, so the test holds however slow the machine is.
/// </summary>
internal sealed class ReadCountingStore(IEventStore inner) : IEventStore
{
    private readonly Lock gate = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> waiters = [];
    private int finishedReads;

    /// <summary>Completes once <paramref name="count"/> calls of <see cref="ReadAllAsync"/> have been read to their end.</summary>
    public Task FinishedReadsAsync(int count)
    {
        lock (gate)
        {
            if (finishedReads >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((count, reached));
            return reached.Task;
        }
    }

    public Task<AppendResult> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default) =>
        inner.AppendAsync(streamId, expectedVersion, events, cancellationToken);

    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(string streamId, long fromVersion = 1, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(streamId, fromVersion, cancellationToken);

    public async IAsyncEnumerable<RecordedEvent> ReadAllAsync(long fromPosition = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var recorded in inner.ReadAllAsync(fromPosition, cancellationToken))
        {
            yield return recorded;
        }

        List<TaskCompletionSource> reached;
        lock (gate)
        {
            finishedReads++;
            reached = waiters.Where(waiter => waiter.Count <= finishedReads).Select(waiter => waiter.Reached).ToList();
            waiters.RemoveAll(waiter => waiter.Count <= finishedReads);
        }

        reached.ForEach(waiter => waiter.SetResult());
    }

    public Task<long> GetStreamVersionAsync(string streamId, CancellationToken cancellationToken = default) =>
        inner.GetStreamVersionAsync(streamId, cancellationToken);

    public Task<long> GetLastPositionAsync(CancellationToken cancellationToken = default) =>
        inner.GetLastPositionAsync(cancellationToken);
}
