using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Federation.EventStore;

/// <summary>The SQL for the <c>events</c> table, run on a connection (and transaction) owned by the caller.</summary>
internal sealed class SqliteEventsTable(SqliteConnection connection, SqliteTransaction? transaction = null)
{
    private const string SelectColumns =
        "SELECT position, stream_id, stream_version, event_id, type, data, metadata, timestamp FROM events";

    public async Task<long> GetLastPositionAsync(CancellationToken cancellationToken)
    {
        await using var command = CreateCommand("SELECT COALESCE(MAX(position), 0) FROM events;");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> GetStreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(
            "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $stream_id;");
        command.Parameters.AddWithValue("$stream_id", streamId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<RecordedEvent?> FindAsync(Guid eventId, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand($"{SelectColumns} WHERE event_id = $event_id;");
        command.Parameters.AddWithValue("$event_id", EventIdText(eventId));
        await foreach (var recorded in ReadRowsAsync(command, cancellationToken))
        {
            return recorded;
        }

        return null;
    }

    /// <param name="streamId">The stream.</param>
    /// <param name="fromVersion">The first version to read.</param>
    /// <param name="maxCount">The most events to read; -1 for all.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        string streamId, long fromVersion, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(
            $"{SelectColumns} WHERE stream_id = $stream_id AND stream_version >= $from_version ORDER BY stream_version LIMIT $max_count;");
        command.Parameters.AddWithValue("$stream_id", streamId);
        command.Parameters.AddWithValue("$from_version", fromVersion);
        command.Parameters.AddWithValue("$max_count", maxCount);
        await foreach (var recorded in ReadRowsAsync(command, cancellationToken))
        {
            yield return recorded;
        }
    }

    public async IAsyncEnumerable<RecordedEvent> ReadAllAsync(
        long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One statement reads one WAL snapshot, and every snapshot holds a gap-free prefix of the log.
        await using var command = CreateCommand($"{SelectColumns} WHERE position >= $from_position ORDER BY position;");
        command.Parameters.AddWithValue("$from_position", fromPosition);
        await foreach (var recorded in ReadRowsAsync(command, cancellationToken))
        {
            yield return recorded;
        }
    }

    /// <summary>Inserts <paramref name="events"/> at consecutive positions and stream versions.</summary>
    public async Task InsertAsync(
        string streamId,
        long firstVersion,
        long firstPosition,
        IReadOnlyList<EventData> events,
        IReadOnlyList<string> metadataJson,
        string timestamp,
        CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(
            """
            INSERT INTO events (position, stream_id, stream_version, event_id, type, data, metadata, timestamp)
            VALUES ($position, $stream_id, $stream_version, $event_id, $type, $data, $metadata, $timestamp);
            """);
        var position = command.Parameters.Add("$position", SqliteType.Integer);
        command.Parameters.AddWithValue("$stream_id", streamId);
        var version = command.Parameters.Add("$stream_version", SqliteType.Integer);
        var eventId = command.Parameters.Add("$event_id", SqliteType.Text);
        var type = command.Parameters.Add("$type", SqliteType.Text);
        var data = command.Parameters.Add("$data", SqliteType.Text);
        var metadata = command.Parameters.Add("$metadata", SqliteType.Text);
        command.Parameters.AddWithValue("$timestamp", timestamp);

        for (var i = 0; i < events.Count; i++)
        {
            position.Value = firstPosition + i;
            version.Value = firstVersion + i;
            eventId.Value = EventIdText(events[i].EventId);
            type.Value = events[i].Type;
            data.Value = events[i].Data;
            metadata.Value = metadataJson[i];
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async IAsyncEnumerable<RecordedEvent> ReadRowsAsync(
        SqliteCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new RecordedEvent(
                Position: reader.GetInt64(0),
                StreamId: reader.GetString(1),
                StreamVersion: reader.GetInt64(2),
                EventId: Guid.Parse(reader.GetString(3)),
                Type: reader.GetString(4),
                Data: reader.GetString(5),
                Metadata: MetadataJson.Deserialize(reader.GetString(6)),
                Timestamp: TimestampText.Parse(reader.GetString(7)));
        }
    }

    // Stored as text (not Microsoft.Data.Sqlite's default 16-byte blob) so the file is readable with any tool.
    private static string EventIdText(Guid eventId) => eventId.ToString("D");

    private SqliteCommand CreateCommand(string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
