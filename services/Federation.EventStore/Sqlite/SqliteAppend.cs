using Microsoft.Data.Sqlite;

namespace Federation.EventStore;

/// <summary>One append, done in one IMMEDIATE transaction.</summary>
internal static class SqliteAppend
{
    public static async Task<AppendResult> AppendAsync(
        SqliteConnection connection,
        TimeProvider clock,
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        CancellationToken cancellationToken)
    {
        // Done before taking the write lock, to keep the lock short.
        var metadataJson = events.Select(e => MetadataJson.Serialize(e.Metadata)).ToArray();

        // BEGIN IMMEDIATE takes the write lock up front, so appends run one at a time: each reads the last
        // position and commits position + 1 before the next one starts. Positions are therefore assigned in
        // commit order and no reader can ever see position n + 1 before n (Marten's high-water-mark problem).
        // A deferred transaction would instead fail with SQLITE_BUSY when upgrading to a writer.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var table = new SqliteEventsTable(connection, transaction);

        if (await table.FindAsync(events[0].EventId, cancellationToken) is { } firstStored)
        {
            // Nothing is written: disposing the transaction rolls it back.
            return await ConfirmRetryAsync(table, streamId, events, firstStored, cancellationToken);
        }

        await RefuseAlreadyStoredAsync(table, events, cancellationToken);

        var currentVersion = await table.GetStreamVersionAsync(streamId, cancellationToken);
        if (expectedVersion != ExpectedVersion.Any && expectedVersion != currentVersion)
        {
            throw new WrongExpectedVersionException(streamId, expectedVersion, currentVersion);
        }

        var lastPosition = await table.GetLastPositionAsync(cancellationToken);

        // Read under the write lock, so timestamps follow position order whenever the clock moves forward.
        var timestamp = TimestampText.Format(clock.GetUtcNow());
        await table.InsertAsync(
            streamId, currentVersion + 1, lastPosition + 1, events, metadataJson, timestamp, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        return new AppendResult(currentVersion + events.Count, lastPosition + events.Count);
    }

    /// <summary>
    /// The batch's first event is already stored, so this is a repeat of an earlier append (for example after
    /// a lost response). It succeeds only if the whole batch is stored, in this stream, in this order.
    /// </summary>
    private static async Task<AppendResult> ConfirmRetryAsync(
        SqliteEventsTable table,
        string streamId,
        IReadOnlyList<EventData> events,
        RecordedEvent firstStored,
        CancellationToken cancellationToken)
    {
        if (!string.Equals(firstStored.StreamId, streamId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Event {firstStored.EventId} is already stored in stream '{firstStored.StreamId}', so it cannot be appended to stream '{streamId}'. Nothing was written.");
        }

        var stored = new List<RecordedEvent>(events.Count);
        await foreach (var recorded in table.ReadStreamAsync(streamId, firstStored.StreamVersion, events.Count, cancellationToken))
        {
            stored.Add(recorded);
        }

        if (!stored.Select(e => e.EventId).SequenceEqual(events.Select(e => e.EventId)))
        {
            throw new InvalidOperationException(
                $"The append to stream '{streamId}' partly repeats an earlier one: its first event {firstStored.EventId} is already stored at version {firstStored.StreamVersion}, "
                + $"but the stored events from there do not match the batch's {events.Count} event ids in order. Nothing was written.");
        }

        return new AppendResult(stored[^1].StreamVersion, stored[^1].Position);
    }

    /// <summary>
    /// A batch that is not a retry must be entirely new. The unique index would refuse a stored id anyway;
    /// this says which one and where it is.
    /// </summary>
    private static async Task RefuseAlreadyStoredAsync(
        SqliteEventsTable table, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        for (var i = 1; i < events.Count; i++)
        {
            if (await table.FindAsync(events[i].EventId, cancellationToken) is { } stored)
            {
                throw new InvalidOperationException(
                    $"events[{i}] (event {stored.EventId}) is already stored in stream '{stored.StreamId}' at version {stored.StreamVersion}, "
                    + "but the batch's first event is new: a batch must be entirely new or an exact repeat of an earlier append. Nothing was written.");
            }
        }
    }
}
