using Npgsql;

namespace Federation.EventStore.Postgres;

/// <summary>
/// Creates and upgrades one event store schema. The version is the highest row of <c>schema_version</c>;
/// migration <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>
    /// First key of the two-key advisory locks this store takes; the second is the schema's
    /// <see cref="PostgresSchemaName.LockKey"/>. The constant keeps our keys apart from other applications'.
    /// </summary>
    public const int MigrationLockClass = 0x46_45_44_4D; // "FEDM"

    /// <summary>First key of the append lock (see <see cref="MigrationLockClass"/>).</summary>
    public const int AppendLockClass = 0x46_45_44_41; // "FEDA"

    /// <summary>Never edit a migration that has shipped: add a new one at the end instead.</summary>
    private static readonly Func<string, string>[] Migrations =
    [
        // Version 1: the events table, modelled on Marten's mt_events, and the triggers that keep it append-only.
        s => $$"""
            CREATE TABLE {{s}}.events (
                position       bigint NOT NULL,  -- global: 1, 2, 3, ... gap-free in commit order (never a sequence)
                stream_id      text   COLLATE "C" NOT NULL,
                stream_version bigint NOT NULL,  -- 1, 2, 3, ... within the stream
                event_id       uuid   NOT NULL,
                type           text   NOT NULL,
                data           text   NOT NULL,  -- the caller's JSON text byte for byte (jsonb would rewrite it)
                metadata       text   NOT NULL,  -- JSON object: correlationId, causationId, headers
                "timestamp"    text   NOT NULL,  -- ISO-8601 UTC with 100 ns ticks (timestamptz keeps only microseconds)
                CONSTRAINT events_pkey PRIMARY KEY (position),
                CONSTRAINT events_stream_id_stream_version UNIQUE (stream_id, stream_version),
                CONSTRAINT events_event_id UNIQUE (event_id),
                CONSTRAINT events_position_check CHECK (position >= 1),
                CONSTRAINT events_stream_version_check CHECK (stream_version >= 1),
                CONSTRAINT events_timestamp_check
                    CHECK ("timestamp" ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z$')
            );

            COMMENT ON TABLE {{s}}.events IS
                'Append-only event history of Federation. Positions are gap-free in commit order; rows are never updated or deleted.';

            -- History is never rewritten. Statement triggers, so even an UPDATE or DELETE that matches no row
            -- fails, and TRUNCATE (which fires no row triggers) is covered too.
            CREATE FUNCTION {{s}}.events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only: % on %.% is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$;

            CREATE TRIGGER events_no_update BEFORE UPDATE ON {{s}}.events
                FOR EACH STATEMENT EXECUTE FUNCTION {{s}}.events_refuse_change();
            CREATE TRIGGER events_no_delete BEFORE DELETE ON {{s}}.events
                FOR EACH STATEMENT EXECUTE FUNCTION {{s}}.events_refuse_change();
            CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {{s}}.events
                FOR EACH STATEMENT EXECUTE FUNCTION {{s}}.events_refuse_change();

            -- Inserts may only extend the log: each statement's rows must continue the global positions and
            -- each stream's versions without a gap. The unique constraints refuse anything already there
            -- (a position, a stream version, an event id). Together they keep the log gap-free even for writers
            -- that bypass PostgresEventStore and its lock: the checks run after the statement's own rows are in,
            -- each query with a fresh snapshot (VOLATILE under READ COMMITTED), so a row can only follow rows
            -- that are committed or its own transaction's, and two writers claiming one position collide on
            -- the primary key. Checked once per statement over its rows (a transition table), not per row,
            -- because appends insert whole batches.
            CREATE FUNCTION {{s}}.events_insert_appends_only() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                first_position bigint;
                last_position  bigint;
                row_count      bigint;
                bad            record;
            BEGIN
                SELECT MIN(position), MAX(position), COUNT(*) INTO first_position, last_position, row_count FROM inserted;
                IF row_count = 0 THEN
                    RETURN NULL;
                END IF;
                IF last_position - first_position + 1 <> row_count
                   OR first_position <> 1 + COALESCE(
                        (SELECT MAX(position) FROM {{s}}.events WHERE position < first_position), 0) THEN
                    RAISE EXCEPTION 'events must be appended at the next global position (got % to %)', first_position, last_position
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;

                -- Per stream: in position order, versions go up by one, from the stream's last stored version.
                SELECT batch.stream_id, batch.stream_version INTO bad
                FROM (
                    SELECT stream_id, stream_version,
                           stream_version - LAG(stream_version) OVER (PARTITION BY stream_id ORDER BY position) AS step,
                           ROW_NUMBER() OVER (PARTITION BY stream_id ORDER BY position) AS nth
                    FROM inserted
                ) AS batch
                WHERE batch.step IS DISTINCT FROM 1
                  AND (batch.nth > 1 OR batch.stream_version <> 1 + COALESCE(
                        (SELECT MAX(e.stream_version) FROM {{s}}.events AS e
                         WHERE e.stream_id = batch.stream_id AND e.stream_version < batch.stream_version), 0))
                LIMIT 1;
                IF FOUND THEN
                    RAISE EXCEPTION 'events must be appended at the next stream version (got % for stream %)',
                        bad.stream_version, bad.stream_id
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NULL;
            END
            $$;

            CREATE TRIGGER events_insert_appends_only AFTER INSERT ON {{s}}.events
                REFERENCING NEW TABLE AS inserted
                FOR EACH STATEMENT EXECUTE FUNCTION {{s}}.events_insert_appends_only();
            """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>
    /// Brings <paramref name="schema"/> to <see cref="LatestVersion"/>, creating it when missing; does nothing
    /// (and needs no DDL privilege) when it is already there.
    /// </summary>
    public static async Task MigrateAsync(NpgsqlConnection connection, PostgresSchemaName schema, CancellationToken cancellationToken)
    {
        // Event data must come back byte for byte; a LATIN1 or SQL_ASCII database could not promise that.
        var encoding = (string?)await ScalarAsync(connection, "SHOW server_encoding;", cancellationToken);
        if (!string.Equals(encoding, "UTF8", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"The event store needs a UTF8 database, but this one's encoding is {encoding}.");
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Two processes starting at once migrate one after the other: the second finds the work done.
        // Transaction-scoped, so it is released by the commit or rollback, even if this process dies.
        await ScalarAsync(connection, "SELECT pg_advisory_xact_lock(@class, @key);", cancellationToken,
            ("class", MigrationLockClass), ("key", schema.LockKey));

        var versionTable = $"{schema.Quoted}.schema_version";
        if (await ScalarAsync(connection, "SELECT to_regclass(@table) IS NULL;", cancellationToken, ("table", versionTable)) is true)
        {
            // Checked rather than CREATE SCHEMA IF NOT EXISTS, which needs CREATE on the database even when
            // the schema exists (a deployment may create the schema for a role that cannot).
            if (await ScalarAsync(connection, "SELECT NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = @schema);", cancellationToken, ("schema", schema.Name)) is true)
            {
                await ScalarAsync(connection, $"CREATE SCHEMA {schema.Quoted};", cancellationToken);
            }

            await ScalarAsync(
                connection,
                $"""
                CREATE TABLE {versionTable} (
                    version    integer     NOT NULL PRIMARY KEY CHECK (version >= 1),
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """,
                cancellationToken);
        }

        var version = (int)(await ScalarAsync(connection, $"SELECT COALESCE(MAX(version), 0) FROM {versionTable};", cancellationToken))!;
        if (version > LatestVersion)
        {
            throw new NotSupportedException(
                $"The event store schema '{schema.Name}' has schema version {version}, but this code only knows versions up to {LatestVersion}.");
        }

        for (var next = version; next < LatestVersion; next++)
        {
            // DDL is transactional in PostgreSQL: the schema and its version row change together or not at all.
            await ScalarAsync(connection, Migrations[next](schema.Quoted), cancellationToken);
            await ScalarAsync(connection, $"INSERT INTO {versionTable} (version) VALUES (@version);", cancellationToken, ("version", next + 1));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
