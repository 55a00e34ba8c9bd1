namespace Federation.EventStore;

/// <summary>
/// An append-only store of events, grouped into streams and totally ordered by a global position.
/// </summary>
/// <remarks>
/// Stream versions start at 1 and grow by one per event in that stream. Global positions start at 1 and are
/// contiguous and assigned in commit order, so a reader that has seen position <c>n</c> can always continue
/// from <c>n + 1</c> without ever missing an event that commits later.
/// </remarks>
public interface IEventStore
{
    /// <summary>
    /// Appends <paramref name="events"/> to a stream atomically: either all of them are stored or none.
    /// </summary>
    /// <param name="streamId">The stream to append to; it is created by its first append.</param>
    /// <param name="expectedVersion">
    /// The stream's current version (the number of events in it; <see cref="ExpectedVersion.NoStream"/> means
    /// the stream must not exist yet), or <see cref="ExpectedVersion.Any"/> to skip the check.
    /// </param>
    /// <param name="events">The events to append, in order; at least one.</param>
    /// <param name="cancellationToken">Cancels the append before it commits.</param>
    /// <returns>The stream's version and the global position of the last event after the append.</returns>
    /// <exception cref="WrongExpectedVersionException">The stream is not at <paramref name="expectedVersion"/>.</exception>
    /// <exception cref="InvalidOperationException">
    /// Some of the event ids are already stored, but not as exactly this batch in this stream.
    /// </exception>
    /// <remarks>
    /// Appends are idempotent by event id: repeating an append whose events are all already stored, in this
    /// stream and in this order, writes nothing and returns the original result, even if the stream has moved on.
    /// </remarks>
    Task<AppendResult> AppendAsync(
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        CancellationToken cancellationToken = default);

    /// <summary>Reads a stream's events in version order, starting at <paramref name="fromVersion"/>.</summary>
    /// <param name="streamId">The stream to read; a stream that does not exist yields nothing.</param>
    /// <param name="fromVersion">The first stream version to return (1 or more).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The events, streamed lazily.</returns>
    IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        string streamId,
        long fromVersion = 1,
        CancellationToken cancellationToken = default);

    /// <summary>Reads the events of all streams in global position order, starting at <paramref name="fromPosition"/>.</summary>
    /// <param name="fromPosition">The first global position to return (1 or more).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The events, streamed lazily.</returns>
    IAsyncEnumerable<RecordedEvent> ReadAllAsync(long fromPosition = 1, CancellationToken cancellationToken = default);

    /// <summary>Gets a stream's current version: the number of events in it, or 0 when it does not exist.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The stream's version.</returns>
    Task<long> GetStreamVersionAsync(string streamId, CancellationToken cancellationToken = default);

    /// <summary>Gets the global position of the last stored event, or 0 when the store is empty.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The last position.</returns>
    Task<long> GetLastPositionAsync(CancellationToken cancellationToken = default);
}
