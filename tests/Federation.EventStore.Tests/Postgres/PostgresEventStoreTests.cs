using Federation.EventStore.Postgres;
using Federation.EventStore.Tests.Compliance;
using Npgsql;

namespace Federation.EventStore.Tests.Postgres;

/// <summary>
/// Runs the compliance tests against <see cref="PostgresEventStore"/> on a real server, plus what only
/// PostgreSQL has: the append-only triggers, the schema version and its migration lock, writers that bypass
/// the store, and the read-only auditor role.
/// </summary>
public sealed class PostgresEventStoreTests : EventStoreComplianceTests, IAsyncLifetime
{
    // xUnit makes a new instance per test, so every test gets its own schema, dropped afterwards.
    private readonly string schema = $"federation_test_{Guid.NewGuid():N}";
    private readonly List<PostgresEventStore> openedStores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in openedStores)
        {
            await store.DisposeAsync();
        }

        // Nothing was created when the server could not be reached; don't bury that failure under another.
        if (openedStores.Count > 0)
        {
            await PostgresServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE;");
        }
    }

    protected override async Task<IEventStore> CreateStoreAsync() => await OpenStoreAsync();

    // ---- Append-only, whoever writes ----

    [Theory]
    [InlineData("UPDATE events SET data = '{\"forged\":true}' WHERE position = 1;")]
    [InlineData("UPDATE events SET data = data WHERE position = 404;")] // even one that matches nothing
    public async Task Update_is_refused_by_the_append_only_trigger(string sql)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<PostgresException>(() => PostgresServer.ExecuteAsync(sql, schema));

        exception.MessageText.ShouldContain("events are append-only");
        (await store.ReadAllAsync().ToListAsync()).First().Data.ShouldBe("""{"round":1}""");
    }

    [Theory]
    [InlineData("DELETE FROM events WHERE position = 2;")]
    [InlineData("DELETE FROM events;")]
    [InlineData("TRUNCATE events;")]
    [InlineData("TRUNCATE events RESTART IDENTITY CASCADE;")]
    public async Task Delete_and_truncate_are_refused_by_the_append_only_triggers(string sql)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<PostgresException>(() => PostgresServer.ExecuteAsync(sql, schema));

        exception.MessageText.ShouldContain("events are append-only");
        (await store.GetLastPositionAsync()).ShouldBe(2);
    }

    [Theory]
    [InlineData(4, "contributor-1", 3, "new", "next global position")]    // skips position 3
    [InlineData(0, "contributor-1", 3, "new", "events_position_check")]  // before the log
    [InlineData(3, "contributor-1", 4, "new", "next stream version")]     // skips version 3
    [InlineData(3, "contributor-2", 2, "new", "next stream version")]     // a new stream starts at 1
    [InlineData(3, "contributor-2", 1, "stored", "events_event_id")]      // an event id that is already in the log
    [InlineData(2, "contributor-1", 2, "upsert", "events are append-only")] // INSERT ... ON CONFLICT DO UPDATE over position 2
    public async Task Inserts_that_do_not_extend_the_log_are_refused(
        long position, string streamId, long streamVersion, string eventId, string reason)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        var storedId = (await store.ReadAllAsync().FirstAsync()).EventId;
        var id = eventId == "stored" ? storedId : Guid.NewGuid();
        var onConflict = eventId == "upsert" ? "ON CONFLICT (position) DO UPDATE SET data = EXCLUDED.data" : "";

        var exception = await Should.ThrowAsync<PostgresException>(
            () => PostgresServer.ExecuteAsync(RawInsertSql(position, streamId, streamVersion, id) + onConflict, schema));

        exception.MessageText.ShouldContain(reason);
        (await store.ReadAllAsync().ToListAsync()).Select(e => e.Type).ShouldBe(["ContributionReceived", "ContributionReceived"]);
    }

    [Theory]
    [InlineData("(3, 'contributor-1', 3), (5, 'contributor-1', 4)", "next global position")] // a gap inside the batch
    [InlineData("(4, 'contributor-1', 3), (3, 'contributor-1', 4)", "next stream version")]  // versions against position order
    [InlineData("(3, 'contributor-2', 1), (4, 'contributor-2', 3)", "next stream version")]  // a version skipped inside the batch
    [InlineData("(3, 'contributor-2', 2), (4, 'contributor-2', 3)", "next stream version")]  // the batch's stream starts at 2
    public async Task Multi_row_inserts_must_extend_the_log_row_by_row(string rows, string reason)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<PostgresException>(() => PostgresServer.ExecuteAsync(RawInsertRowsSql(rows), schema));

        exception.MessageText.ShouldContain(reason);
        (await store.GetLastPositionAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task An_insert_that_extends_the_log_correctly_is_accepted_even_from_outside_the_store()
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        await PostgresServer.ExecuteAsync(RawInsertSql(3, "contributor-1", 3, Guid.NewGuid()), schema);
        await PostgresServer.ExecuteAsync(RawInsertRowsSql("(4, 'contributor-2', 1), (5, 'contributor-1', 4), (6, 'contributor-2', 2)"), schema);
        var result = await store.AppendAsync("contributor-1", 4, TestEvents.Many(1));

        result.ShouldBe(new AppendResult(5, 7));
    }

    [Theory]
    [InlineData("contributor-2", 3L, 4L)] // the outside writer took position 3 for another stream: the append moves to 4
    [InlineData("contributor-1", 0L, 0L)] // it took the stream's next version too: the expected version is now wrong
    public async Task A_writer_that_bypasses_the_append_lock_cannot_make_a_gap_or_a_duplicate(
        string outsideStream, long expectedStreamVersion, long expectedPosition)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        await using var outside = await PostgresServer.OpenAsync(schema);
        await using var outsideTransaction = await outside.BeginTransactionAsync();
        var outsideVersion = outsideStream == "contributor-1" ? 3 : 1;
        await PostgresServer.ExecuteAsync(outside, RawInsertSql(3, outsideStream, outsideVersion, Guid.NewGuid()));

        // The store does not see the uncommitted row, claims position 3 too, and waits on the primary key.
        var append = store.AppendAsync("contributor-1", 2, TestEvents.Many(1));
        await WaitUntilATransactionWaitsForAnotherAsync(append);
        await outsideTransaction.CommitAsync();

        if (expectedPosition > 0)
        {
            (await append).ShouldBe(new AppendResult(expectedStreamVersion, expectedPosition));
        }
        else
        {
            var exception = await Should.ThrowAsync<WrongExpectedVersionException>(() => append);
            exception.ExpectedVersion.ShouldBe(2);
            exception.ActualVersion.ShouldBe(3);
        }

        var positions = (await store.ReadAllAsync().ToListAsync()).Select(e => e.Position).ToList();
        positions.ShouldBe(Enumerable.Range(1, positions.Count).Select(p => (long)p));
    }

    [Fact]
    public async Task Reads_longer_than_a_page_continue_without_gaps()
    {
        var store = await OpenStoreAsync();
        for (var i = 0; i < 7; i++)
        {
            await store.AppendAsync(i % 2 == 0 ? "contributor-1" : "contributor-2", ExpectedVersion.Any, TestEvents.Many(100));
        }

        (await store.ReadAllAsync(5).ToListAsync()).Select(e => e.Position).ShouldBe(Enumerable.Range(5, 696).Select(p => (long)p));
        (await store.ReadStreamAsync("contributor-1", 2).ToListAsync()).Select(e => e.StreamVersion)
            .ShouldBe(Enumerable.Range(2, 399).Select(v => (long)v));
    }

    // ---- Schema and migration ----

    [Fact]
    public async Task Opening_creates_the_schema_at_version_1_with_text_data_and_no_sequence()
    {
        await OpenStoreAsync();

        (await PostgresServer.ExecuteAsync("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version;", schema)).ShouldBe("1");
        var columns = await ScalarAsync(
            $"""
            SELECT string_agg(column_name || ' ' || data_type || ' ' || COALESCE(column_default, '-') || ' ' || is_identity, ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'events';
            """);
        columns.ShouldBe(
            "position bigint - NO, stream_id text - NO, stream_version bigint - NO, event_id uuid - NO, "
            + "type text - NO, data text - NO, metadata text - NO, timestamp text - NO");
        (await ScalarAsync($"SELECT count(*) FROM pg_sequences WHERE schemaname = '{schema}';")).ShouldBe(0L);
    }

    [Fact]
    public async Task Opening_again_is_idempotent()
    {
        var first = await OpenStoreAsync();
        await first.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        await OpenStoreAsync();
        var third = await OpenStoreAsync();

        (await ScalarAsync("SELECT count(*) FROM schema_version;")).ShouldBe(1L);
        (await third.GetLastPositionAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task Stores_opening_a_new_schema_at_the_same_time_migrate_it_once()
    {
        const int Openers = 8;
        using var start = new ManualResetEventSlim();
        var opening = Enumerable.Range(0, Openers).Select(_ => RunOnOwnThread(async () =>
        {
            start.Wait();
            var store = await OpenStoreAsync();
            await store.AppendAsync($"opener-{Guid.NewGuid():N}", ExpectedVersion.NoStream, TestEvents.Many(1));
        })).ToList();

        start.Set();
        await Task.WhenAll(opening);

        (await ScalarAsync("SELECT string_agg(version::text, ',') FROM schema_version;")).ShouldBe("1");
        (await openedStores[0].ReadAllAsync().ToListAsync()).Select(e => e.Position).ShouldBe(Enumerable.Range(1, Openers).Select(p => (long)p));
    }

    [Fact]
    public async Task Opening_a_schema_with_a_newer_version_is_refused()
    {
        await OpenStoreAsync();
        await PostgresServer.ExecuteAsync("INSERT INTO schema_version (version) VALUES (99);", schema);

        var exception = await Should.ThrowAsync<NotSupportedException>(() => OpenStoreAsync());

        exception.Message.ShouldContain("99");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Federation")]
    [InlineData("federation-events")]
    [InlineData("federation\"; DROP SCHEMA public; --")]
    [InlineData("pg_events")]
    [InlineData("1federation")]
    public async Task Schema_names_that_would_need_quoting_are_refused(string name)
    {
        await Should.ThrowAsync<ArgumentException>(() => PostgresEventStore.OpenAsync(PostgresServer.ConnectionString, name));
    }

    // ---- Roles ----

    [Fact]
    public async Task The_auditor_role_can_read_everything_but_write_nothing()
    {
        var writer = await OpenStoreAsync();
        await writer.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        await using var auditor = await PostgresServer.OpenAsync(schema, PostgresServer.AuditorConnectionString);

        // Readable through the default privileges that ops/postgres/init.sql set: nobody granted anything
        // on this schema, which the writer created a moment ago.
        (await PostgresServer.ExecuteAsync(auditor, "SELECT count(*) FROM events;")).ShouldBe(2L);
        (await PostgresServer.ExecuteAsync(auditor, "SELECT max(version) FROM schema_version;")).ShouldBe(1);

        // Not merely a read-only session default: the privileges refuse it even when that is switched off.
        await PostgresServer.ExecuteAsync(auditor, "SET default_transaction_read_only = off;");
        string[] writes =
        [
            RawInsertSql(3, "contributor-1", 3, Guid.NewGuid()),
            "UPDATE events SET type = 'Forged';",
            "DELETE FROM events;",
            "TRUNCATE events;",
            "INSERT INTO schema_version (version) VALUES (2);",
            "CREATE TABLE forged (id int);",
        ];
        foreach (var sql in writes)
        {
            var exception = await Should.ThrowAsync<PostgresException>(() => PostgresServer.ExecuteAsync(auditor, sql), sql);
            exception.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, sql);
            exception.MessageText.ShouldStartWith("permission denied", Case.Insensitive, sql);
        }

        var drop = await Should.ThrowAsync<PostgresException>(() => PostgresServer.ExecuteAsync(auditor, "DROP TABLE events;"));
        drop.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        drop.MessageText.ShouldBe("must be owner of table events");

        // The store itself works read-only for the auditor: opening needs no DDL once the schema is current.
        await using var audit = await PostgresEventStore.OpenAsync(PostgresServer.AuditorConnectionString, schema);
        (await audit.ReadAllAsync().ToListAsync()).Count.ShouldBe(2);
        await Should.ThrowAsync<PostgresException>(() => audit.AppendAsync("contributor-1", 2, TestEvents.Many(1)));
        (await writer.GetLastPositionAsync()).ShouldBe(2);
    }

    // ---- The server itself ----

    [Fact]
    public async Task An_unreachable_server_fails_the_tests_with_how_to_start_it()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var nowhere = new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Port = 1, Timeout = 5 }.ToString();

        var exception = await Should.ThrowAsync<InvalidOperationException>(
            () => PostgresServer.ConnectAsync(() => PostgresEventStore.OpenAsync(nowhere, schema), nowhere));

        exception.Message.ShouldContain("make infra-up");
        exception.Message.ShouldContain("ops/postgres/up.sh");
        exception.Message.ShouldNotContain("Password");
    }

    private async Task<PostgresEventStore> OpenStoreAsync()
    {
        var store = await PostgresServer.ConnectAsync(() => PostgresEventStore.OpenAsync(PostgresServer.ConnectionString, schema, Clock));
        lock (openedStores)
        {
            openedStores.Add(store);
        }

        return store;
    }

    private Task<object?> ScalarAsync(string sql) => PostgresServer.ExecuteAsync(sql, schema);

    private static string RawInsertSql(long position, string streamId, long streamVersion, Guid eventId) =>
        $"""
        INSERT INTO events (position, stream_id, stream_version, event_id, type, data, metadata, "timestamp")
        VALUES ({position}, '{streamId}', {streamVersion}, '{eventId}', 'Forged', '{"{}"}',
                '{"{\"correlationId\":null,\"causationId\":null,\"headers\":{}}"}', '2025-01-01T00:00:00.0000000Z')
        """;

    /// <param name="rows">(position, stream id, stream version) tuples, comma-separated.</param>
    private static string RawInsertRowsSql(string rows) =>
        $"""
        INSERT INTO events (position, stream_id, stream_version, event_id, type, data, metadata, "timestamp")
        SELECT r.position, r.stream_id, r.stream_version, gen_random_uuid(), 'Forged', '{"{}"}',
               '{"{\"correlationId\":null,\"causationId\":null,\"headers\":{}}"}', '2025-01-01T00:00:00.0000000Z'
        FROM (VALUES {rows}) AS r (position, stream_id, stream_version)
        """;

    // Row locks on another transaction's uncommitted insert show up as a waiting transactionid lock.
    private static async Task WaitUntilATransactionWaitsForAnotherAsync(Task append)
    {
        await using var observer = await PostgresServer.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!append.IsCompleted && DateTime.UtcNow < deadline)
        {
            if ((long)(await PostgresServer.ExecuteAsync(observer, "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted;"))! > 0)
            {
                return;
            }

            await Task.Delay(10);
        }

        append.IsCompleted.ShouldBeFalse("the append should have been waiting for the outside writer's row");
        throw new TimeoutException("The append never waited for the outside writer's uncommitted row.");
    }
}
