using System.Runtime.CompilerServices;

namespace Federation.EventStore;

/// <summary>
/// Follows the global log of any <see cref="IEventStore"/>: from a saved checkpoint it first reads every
/// stored event, then keeps waiting for and yielding new ones as they commit, in position order.
/// </summary>
/// <remarks>
/// It polls <see cref="IEventStore.ReadAllAsync"/>. That is enough because positions are gap-free and assigned
/// in commit order: after position <c>n</c> the next event is always <c>n + 1</c>, so the subscription never
/// has to guess whether a missing position is still in flight (the trap of high-water-mark schemes). Polling
/// happens only while caught up; a backlog is read without pauses. An <see cref="AppendSignal"/> that the
/// appending code notifies ends the wait early, so followers in the same process see new events at once.
/// </remarks>
/// <param name="store">The store to follow.</param>
/// <param name="pollInterval">How long to wait before asking again when there was nothing new.</param>
/// <param name="appended">Notified after appends in this process, to ask again before the interval is up; optional.</param>
public sealed class CatchUpSubscription(IEventStore store, TimeSpan pollInterval, AppendSignal? appended = null)
{
    private readonly IEventStore store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly TimeSpan pollInterval = pollInterval > TimeSpan.Zero
        ? pollInterval
        : throw new ArgumentOutOfRangeException(nameof(pollInterval), pollInterval, "The poll interval must be positive.");

    /// <summary>
    /// Yields every event from <paramref name="fromPosition"/> on: the stored ones at once, then new ones as
    /// they commit. It never ends by itself; cancel <paramref name="cancellationToken"/> (which throws
    /// <see cref="OperationCanceledException"/> from the enumeration) or stop enumerating to end it.
    /// </summary>
    /// <param name="fromPosition">
    /// The first position to yield (1 or more): the saved checkpoint (the last position processed) plus one.
    /// </param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The events, in position order, without gaps.</returns>
    /// <exception cref="InvalidOperationException">
    /// The store returned positions out of order or with a gap, which <see cref="IEventStore"/> forbids.
    /// </exception>
    public IAsyncEnumerable<RecordedEvent> SubscribeAllAsync(long fromPosition, CancellationToken cancellationToken = default)
    {
        // Checked here, not inside the iterator, so a bad checkpoint throws at the call.
        ArgumentOutOfRangeException.ThrowIfLessThan(fromPosition, 1);
        return FollowAsync(fromPosition, cancellationToken);
    }

    private async IAsyncEnumerable<RecordedEvent> FollowAsync(
        long next, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Taken before reading: an append that commits after this read began completes it, so no
            // wake-up can fall between the read and the wait.
            var news = appended?.Next;
            var caughtUp = true;
            await foreach (var recorded in store.ReadAllAsync(next, cancellationToken))
            {
                if (recorded.Position != next)
                {
                    // Skipping ahead would lose an event for good; better to stop loudly.
                    throw new InvalidOperationException(
                        $"The event store returned position {recorded.Position} where {next} was due: its log has a gap or is out of order.");
                }

                // Whatever the store buffers, a cancelled subscription yields nothing more.
                cancellationToken.ThrowIfCancellationRequested();
                next++;
                caughtUp = false;
                yield return recorded;
            }

            if (caughtUp)
            {
                await WaitForNewsAsync(news, cancellationToken);
            }
        }
    }

    private async Task WaitForNewsAsync(Task? news, CancellationToken cancellationToken)
    {
        if (news is null)
        {
            await Task.Delay(pollInterval, cancellationToken);
            return;
        }

        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(news, Task.Delay(pollInterval, poll.Token));
        await poll.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
