using System.Data;
using Npgsql;

namespace Federation.EventStore.Postgres;

/// <summary>One append, done in one READ COMMITTED transaction that holds the schema's append lock.</summary>
internal static class PostgresAppend
{
    // Only a writer that bypasses the store (and so its lock) can make an attempt lose a race; each retry
    // starts over and sees that writer's rows, so one retry is normally enough.
    private const int MaxAttempts = 3;

    public static async Task<AppendResult> AppendAsync(
        NpgsqlDataSource dataSource,
        PostgresEventsTable table,
        TimeProvider clock,
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        CancellationToken cancellationToken)
    {
        // Done before taking the lock, to keep the lock short.
        var metadataJson = events.Select(e => MetadataJson.Serialize(e.Metadata)).ToArray();

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                return await AppendOnceAsync(connection, table, clock, streamId, expectedVersion, events, metadataJson, cancellationToken);
            }
            catch (PostgresException exception) when (LostRaceWithAnotherWriter(exception))
            {
                if (attempt < MaxAttempts)
                {
                    continue;
                }

                if (expectedVersion != ExpectedVersion.Any && exception.ConstraintName == "events_stream_id_stream_version")
                {
                    await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                    var actualVersion = await table.GetStreamVersionAsync(connection, streamId, cancellationToken);
                    throw new WrongExpectedVersionException(streamId, expectedVersion, actualVersion);
                }

                throw;
            }
        }
    }

    private static async Task<AppendResult> AppendOnceAsync(
        NpgsqlConnection connection,
        PostgresEventsTable table,
        TimeProvider clock,
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        IReadOnlyList<string> metadataJson,
        CancellationToken cancellationToken)
    {
        // Rolled back when disposed without a commit: every early return and throw below writes nothing.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        // The lock comes first and alone. Appends therefore run one at a time, and every statement after this
        // one takes a fresh snapshot (READ COMMITTED) that already contains every append committed before the
        // lock was granted. So MAX(position) + 1 is the next position, and position n + 1 can only commit
        // after position n has: readers never see a gap, now or later (Marten's high-water-mark problem).
        // A sequence would not do: it hands out numbers in call order, not commit order, and a rollback
        // burns its numbers for good.
        await table.LockForAppendAsync(connection, cancellationToken);

        var stored = await table.FindAsync(connection, events.Select(e => e.EventId).ToArray(), cancellationToken);
        if (stored.Count > 0)
        {
            return await ConfirmRetryAsync(connection, table, streamId, events, stored, cancellationToken);
        }

        var (currentVersion, lastPosition) = await table.GetStreamVersionAndLastPositionAsync(connection, streamId, cancellationToken);
        if (expectedVersion != ExpectedVersion.Any && expectedVersion != currentVersion)
        {
            throw new WrongExpectedVersionException(streamId, expectedVersion, currentVersion);
        }

        // Read under the lock, so timestamps follow position order whenever the clock moves forward.
        var timestamp = TimestampText.Format(clock.GetUtcNow());
        await table.InsertAsync(
            connection, streamId, currentVersion + 1, lastPosition + 1, events, metadataJson, timestamp, cancellationToken);

        // Not cancellable: once the rows are in, a cancellation racing the commit would leave the caller
        // unsure whether it happened. (A caller that retries anyway gets the original result back.)
        await transaction.CommitAsync(CancellationToken.None);

        return new AppendResult(currentVersion + events.Count, lastPosition + events.Count);
    }

    /// <summary>
    /// Some of the batch's events are already stored. That is fine only for a repeat of an earlier append (for
    /// example after a lost response): the whole batch stored, in this stream, in this order. Writes nothing.
    /// </summary>
    private static async Task<AppendResult> ConfirmRetryAsync(
        NpgsqlConnection connection,
        PostgresEventsTable table,
        string streamId,
        IReadOnlyList<EventData> events,
        List<RecordedEvent> stored,
        CancellationToken cancellationToken)
    {
        var firstStored = stored.Find(e => e.EventId == events[0].EventId);
        if (firstStored is null)
        {
            var index = events.ToList().FindIndex(e => e.EventId == stored[0].EventId);
            throw new InvalidOperationException(
                $"events[{index}] (event {stored[0].EventId}) is already stored in stream '{stored[0].StreamId}' at version {stored[0].StreamVersion}, "
                + "but the batch's first event is new: a batch must be entirely new or an exact repeat of an earlier append. Nothing was written.");
        }

        if (!string.Equals(firstStored.StreamId, streamId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Event {firstStored.EventId} is already stored in stream '{firstStored.StreamId}', so it cannot be appended to stream '{streamId}'. Nothing was written.");
        }

        var run = await table.ReadStreamAsync(connection, streamId, firstStored.StreamVersion, events.Count, cancellationToken);
        if (!run.Select(e => e.EventId).SequenceEqual(events.Select(e => e.EventId)))
        {
            throw new InvalidOperationException(
                $"The append to stream '{streamId}' partly repeats an earlier one: its first event {firstStored.EventId} is already stored at version {firstStored.StreamVersion}, "
                + $"but the stored events from there do not match the batch's {events.Count} event ids in order. Nothing was written.");
        }

        return new AppendResult(run[^1].StreamVersion, run[^1].Position);
    }

    /// <summary>
    /// A writer that bypassed the append lock committed a row this attempt also claimed (a position, a stream
    /// version or an event id), or made this attempt's rows no longer the next ones. Starting over sees its rows.
    /// </summary>
    private static bool LostRaceWithAnotherWriter(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.IntegrityConstraintViolation;
}
