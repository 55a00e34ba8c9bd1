using Npgsql;
using NpgsqlTypes;

namespace Federation.EventStore.Postgres;

/// <summary>
/// The SQL for one schema's <c>events</c> table, run on a connection (and its transaction, if one is open)
/// owned by the caller. Built once per store, so the statements are not reformatted for every call.
/// </summary>
internal sealed class PostgresEventsTable
{
    private readonly PostgresSchemaName schema;
    private readonly string selectColumns;
    private readonly string lastPositionSql;
    private readonly string streamVersionSql;
    private readonly string streamVersionAndLastPositionSql;
    private readonly string findSql;
    private readonly string readStreamSql;
    private readonly string readAllSql;
    private readonly string insertSql;

    public PostgresEventsTable(PostgresSchemaName schema)
    {
        this.schema = schema;
        var events = $"{schema.Quoted}.events";
        selectColumns = $"SELECT position, stream_id, stream_version, event_id, type, data, metadata, \"timestamp\" FROM {events}";
        lastPositionSql = $"SELECT COALESCE(MAX(position), 0) FROM {events};";
        streamVersionSql = $"SELECT COALESCE(MAX(stream_version), 0) FROM {events} WHERE stream_id = @stream_id;";
        streamVersionAndLastPositionSql =
            $"SELECT (SELECT COALESCE(MAX(stream_version), 0) FROM {events} WHERE stream_id = @stream_id), (SELECT COALESCE(MAX(position), 0) FROM {events});";
        findSql = $"{selectColumns} WHERE event_id = ANY(@event_ids) ORDER BY position;";
        readStreamSql = $"{selectColumns} WHERE stream_id = @stream_id AND stream_version >= @from_version ORDER BY stream_version LIMIT @max_count;";
        readAllSql = $"{selectColumns} WHERE position >= @from_position ORDER BY position LIMIT @max_count;";

        // One statement per batch: the rows come from arrays, numbered by their place in the batch.
        insertSql =
            $"""
            INSERT INTO {events} (position, stream_id, stream_version, event_id, type, data, metadata, "timestamp")
            SELECT @first_position + batch.n - 1, @stream_id, @first_version + batch.n - 1,
                   batch.event_id, batch.type, batch.data, batch.metadata, @timestamp
            FROM unnest(@event_ids, @types, @data, @metadata) WITH ORDINALITY AS batch (event_id, type, data, metadata, n)
            ORDER BY batch.n;
            """;
    }

    /// <summary>
    /// Takes this schema's append lock until the transaction ends. Run it alone in its statement: under READ
    /// COMMITTED every later statement then gets a snapshot that includes every append committed before.
    /// </summary>
    /// <remarks>
    /// An advisory lock rather than <c>LOCK TABLE ... IN EXCLUSIVE MODE</c>: both leave readers alone, but a
    /// table lock also waits for (and cancels, after deadlock_timeout) autovacuum, which would stall appends.
    /// </remarks>
    public async Task LockForAppendAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@class, @key);", connection);
        command.Parameters.AddWithValue("class", PostgresSchema.AppendLockClass);
        command.Parameters.AddWithValue("key", schema.LockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> GetLastPositionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(lastPositionSql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> GetStreamVersionAsync(NpgsqlConnection connection, string streamId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(streamVersionSql, connection);
        command.Parameters.AddWithValue("stream_id", streamId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Both in one statement, so from one snapshot.</summary>
    public async Task<(long StreamVersion, long LastPosition)> GetStreamVersionAndLastPositionAsync(
        NpgsqlConnection connection, string streamId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(streamVersionAndLastPositionSql, connection);
        command.Parameters.AddWithValue("stream_id", streamId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The stored events among <paramref name="eventIds"/>, in position order.</summary>
    public async Task<List<RecordedEvent>> FindAsync(
        NpgsqlConnection connection, IReadOnlyList<Guid> eventIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(findSql, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. eventIds] });
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>At most <paramref name="maxCount"/> events of a stream, from <paramref name="fromVersion"/> on.</summary>
    public async Task<List<RecordedEvent>> ReadStreamAsync(
        NpgsqlConnection connection, string streamId, long fromVersion, int maxCount, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(readStreamSql, connection);
        command.Parameters.AddWithValue("stream_id", streamId);
        command.Parameters.AddWithValue("from_version", fromVersion);
        command.Parameters.AddWithValue("max_count", (long)maxCount);
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>At most <paramref name="maxCount"/> events of the log, from <paramref name="fromPosition"/> on.</summary>
    public async Task<List<RecordedEvent>> ReadAllAsync(
        NpgsqlConnection connection, long fromPosition, int maxCount, CancellationToken cancellationToken)
    {
        // One statement reads one snapshot, and every snapshot holds a gap-free prefix of the log.
        await using var command = new NpgsqlCommand(readAllSql, connection);
        command.Parameters.AddWithValue("from_position", fromPosition);
        command.Parameters.AddWithValue("max_count", (long)maxCount);
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>Inserts <paramref name="events"/> at consecutive positions and stream versions, in one statement.</summary>
    public async Task InsertAsync(
        NpgsqlConnection connection,
        string streamId,
        long firstVersion,
        long firstPosition,
        IReadOnlyList<EventData> events,
        IReadOnlyList<string> metadataJson,
        string timestamp,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(insertSql, connection);
        command.Parameters.AddWithValue("first_position", firstPosition);
        command.Parameters.AddWithValue("stream_id", streamId);
        command.Parameters.AddWithValue("first_version", firstVersion);
        command.Parameters.AddWithValue("timestamp", timestamp);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid)
        {
            TypedValue = events.Select(e => e.EventId).ToArray(),
        });
        AddTextArray(command, "types", events.Select(e => e.Type));
        AddTextArray(command, "data", events.Select(e => e.Data));
        AddTextArray(command, "metadata", metadataJson);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddTextArray(NpgsqlCommand command, string name, IEnumerable<string> values) =>
        command.Parameters.Add(new NpgsqlParameter<string[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = values.ToArray() });

    private static async Task<List<RecordedEvent>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<RecordedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RecordedEvent(
                Position: reader.GetInt64(0),
                StreamId: reader.GetString(1),
                StreamVersion: reader.GetInt64(2),
                EventId: reader.GetGuid(3),
                Type: reader.GetString(4),
                Data: reader.GetString(5),
                Metadata: MetadataJson.Deserialize(reader.GetString(6)),
                Timestamp: TimestampText.Parse(reader.GetString(7))));
        }

        return rows;
    }
}
