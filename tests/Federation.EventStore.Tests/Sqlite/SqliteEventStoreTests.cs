using Federation.EventStore.Tests.Compliance;
using Microsoft.Data.Sqlite;

namespace Federation.EventStore.Tests.Sqlite;

/// <summary>
/// Runs the compliance tests against <see cref="SqliteEventStore"/>, plus what only SQLite has:
/// the append-only triggers, the schema version and reopening a file.
/// </summary>
public sealed class SqliteEventStoreTests : EventStoreComplianceTests, IAsyncLifetime
{
    // xUnit makes a new instance per test, so every test gets its own folder and file.
    private readonly string folder = Path.Combine(Path.GetTempPath(), "federation-eventstore-tests", Guid.NewGuid().ToString("N"));
    private readonly List<SqliteEventStore> openedStores = [];

    // A folder that does not exist yet: opening must create it.
    private string DatabasePath => Path.Combine(folder, "data", "events.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in openedStores)
        {
            await store.DisposeAsync();
        }

        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    protected override async Task<IEventStore> CreateStoreAsync() => await OpenStoreAsync();

    [Fact]
    public async Task Update_is_refused_by_the_append_only_trigger()
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<SqliteException>(
            () => ExecuteRawAsync("UPDATE events SET data = '{\"forged\":true}' WHERE position = 1;"));

        exception.Message.ShouldContain("events are append-only");
        (await store.ReadAllAsync().ToListAsync()).First().Data.ShouldBe("""{"round":1}""");
    }

    [Theory]
    [InlineData("DELETE FROM events WHERE position = 2;")]
    [InlineData("DELETE FROM events;")]
    public async Task Delete_is_refused_by_the_append_only_trigger(string sql)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<SqliteException>(() => ExecuteRawAsync(sql));

        exception.Message.ShouldContain("events are append-only");
        (await store.GetLastPositionAsync()).ShouldBe(2);
    }

    [Theory]
    [InlineData(4, 3, "next global position")]   // skips position 3
    [InlineData(3, 4, "next stream version")]    // skips version 3
    [InlineData(2, 2, "next global position")]   // INSERT OR REPLACE over position 2
    public async Task Inserts_that_do_not_extend_the_log_are_refused(long position, long streamVersion, string reason)
    {
        var store = await OpenStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<SqliteException>(() => ExecuteRawAsync(
            $"""
            INSERT OR REPLACE INTO events (position, stream_id, stream_version, event_id, type, data, metadata, timestamp)
            VALUES ({position}, 'contributor-1', {streamVersion}, '{Guid.NewGuid()}', 'Forged', '{"{}"}',
                    '{"{\"correlationId\":null,\"causationId\":null,\"headers\":{}}"}', '2025-01-01T00:00:00.0000000Z');
            """));

        exception.Message.ShouldContain(reason);
        (await store.ReadAllAsync().ToListAsync()).Select(e => e.Type).ShouldBe(["ContributionReceived", "ContributionReceived"]);
    }

    [Fact]
    public async Task Opening_creates_the_schema_at_version_1_in_WAL_mode()
    {
        await OpenStoreAsync();

        (await ExecuteRawAsync("PRAGMA user_version;")).ShouldBe(1L);
        (await ExecuteRawAsync("PRAGMA journal_mode;")).ShouldBe("wal");
    }

    [Fact]
    public async Task Opening_a_database_with_a_newer_schema_is_refused()
    {
        await (await OpenStoreAsync()).DisposeAsync();
        await ExecuteRawAsync("PRAGMA user_version = 99;");

        var exception = await Should.ThrowAsync<NotSupportedException>(() => OpenStoreAsync());

        exception.Message.ShouldContain("99");
    }

    private async Task<SqliteEventStore> OpenStoreAsync()
    {
        var store = await SqliteEventStore.OpenAsync(DatabasePath, Clock);
        openedStores.Add(store);
        return store;
    }

    // Bypasses the store, like another tool opening the file would. Unpooled, so the file is released after.
    private async Task<object?> ExecuteRawAsync(string sql)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
