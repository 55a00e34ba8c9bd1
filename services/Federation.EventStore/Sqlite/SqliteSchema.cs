using Microsoft.Data.Sqlite;

namespace Federation.EventStore;

/// <summary>
/// Creates and upgrades the SQLite schema. The schema version lives in <c>PRAGMA user_version</c>;
/// migration <c>i</c> takes the database from version <c>i</c> to <c>i + 1</c>.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Never edit a migration that has shipped: add a new one at the end instead.</summary>
    private static readonly string[] Migrations =
    [
        // Version 1: the events table, modelled on Marten's mt_events.
        """
        CREATE TABLE events (
            position       INTEGER PRIMARY KEY,  -- global sequence: 1, 2, 3, ... gap-free in commit order
            stream_id      TEXT    NOT NULL,
            stream_version INTEGER NOT NULL,     -- 1, 2, 3, ... within the stream
            event_id       TEXT    NOT NULL,     -- Guid, lower-case "D" format
            type           TEXT    NOT NULL,
            data           TEXT    NOT NULL,     -- the caller's JSON text, byte for byte
            metadata       TEXT    NOT NULL,     -- {"correlationId":…,"causationId":…,"headers":{…}}
            timestamp      TEXT    NOT NULL,     -- ISO-8601 UTC, 100 ns precision
            CHECK (position >= 1),
            CHECK (stream_version >= 1)
        ) STRICT;

        CREATE UNIQUE INDEX events_stream_id_stream_version ON events (stream_id, stream_version);
        CREATE UNIQUE INDEX events_event_id ON events (event_id);

        -- History is never rewritten. (DELETE without WHERE skips its truncate shortcut when a trigger exists.)
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are append-only');
        END;

        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are append-only');
        END;

        -- Inserts may only extend the log: the next global position and the next version of the stream.
        -- This keeps positions gap-free even for writes that bypass SqliteEventStore, and it stops
        -- INSERT OR REPLACE from silently deleting a row (REPLACE does not fire the DELETE trigger).
        CREATE TRIGGER events_insert_appends_only BEFORE INSERT ON events
        BEGIN
            SELECT RAISE(ABORT, 'events must be appended at the next global position')
            WHERE NEW.position IS NOT (SELECT COALESCE(MAX(position), 0) + 1 FROM events);
            SELECT RAISE(ABORT, 'events must be appended at the next stream version')
            WHERE NEW.stream_version IS NOT
                (SELECT COALESCE(MAX(stream_version), 0) + 1 FROM events WHERE stream_id = NEW.stream_id);
            SELECT RAISE(ABORT, 'events are append-only')
            WHERE EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id);
        END;
        """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the database to <see cref="LatestVersion"/>; does nothing when it is already there.</summary>
    public static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // WAL lets readers run while a writer commits. The mode is stored in the file, so setting it once is
        // enough, but it cannot be changed inside a transaction.
        var journalMode = await ExecuteScalarAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken);
        if (!string.Equals(journalMode as string, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Could not switch the event store to WAL journal mode (got '{journalMode}').");
        }

        // IMMEDIATE: two processes opening a new file at once migrate one after the other, not both.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var version = (long)(await ExecuteScalarAsync(connection, transaction, "PRAGMA user_version;", cancellationToken))!;
        if (version > LatestVersion)
        {
            throw new NotSupportedException(
                $"The event store database has schema version {version}, but this code only knows versions up to {LatestVersion}.");
        }

        for (var next = (int)version; next < LatestVersion; next++)
        {
            await ExecuteScalarAsync(connection, transaction, Migrations[next], cancellationToken);

            // user_version is transactional, so the schema and its version number change together.
            await ExecuteScalarAsync(connection, transaction, $"PRAGMA user_version = {next + 1};", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<object?> ExecuteScalarAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
