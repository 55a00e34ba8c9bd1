namespace Federation.EventStore.Tests.Compliance;

/// <summary>Several store instances on one storage: what restarts and second processes see.</summary>
public abstract partial class EventStoreComplianceTests
{
    [Fact]
    public async Task Reopening_the_storage_keeps_its_events_and_appends_continue_at_the_next_position()
    {
        var first = await CreateStoreAsync();
        await first.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        await first.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(1));
        await ((IAsyncDisposable)first).DisposeAsync();

        var reopened = await CreateStoreAsync();
        var result = await reopened.AppendAsync("contributor-1", 2, TestEvents.Many(1));

        result.ShouldBe(new AppendResult(StreamVersion: 3, LastPosition: 4));
        (await reopened.ReadAllAsync().ToListAsync()).Select(e => e.Position).ShouldBe([1L, 2L, 3L, 4L]);
    }

    [Fact]
    public async Task Two_stores_on_the_same_storage_append_concurrently_without_gaps()
    {
        // Two instances stand in for two processes: nothing in-process keeps their appends apart,
        // only the database's own lock (SQLite's write lock, PostgreSQL's advisory lock).
        IEventStore[] stores = [await CreateStoreAsync(), await CreateStoreAsync()];
        const int Appenders = 8;
        const int AppendsPerAppender = 25;

        await Task.WhenAll(Enumerable.Range(0, Appenders).Select(appender => RunOnOwnThread(async () =>
        {
            var store = stores[appender % stores.Length];
            var version = ExpectedVersion.NoStream;
            for (var i = 0; i < AppendsPerAppender; i++)
            {
                version = (await store.AppendAsync($"appender-{appender}", version, TestEvents.Many(1 + (i % 3)))).StreamVersion;
            }
        })));

        var total = Appenders * Enumerable.Range(0, AppendsPerAppender).Sum(i => 1 + (i % 3));
        (await stores[1].ReadAllAsync().ToListAsync()).Select(e => e.Position)
            .ShouldBe(Enumerable.Range(1, total).Select(p => (long)p));
    }
}
