using System.Runtime.CompilerServices;
using Npgsql;

namespace Federation.EventStore.Postgres;

/// <summary>
/// An <see cref="IEventStore"/> in one schema of a PostgreSQL database. Safe to use from many threads at
/// once, and from several processes on the same schema: appends take turns on a transaction-scoped advisory
/// lock, reads never wait for them.
/// </summary>
/// <remarks>
/// Every operation uses its own pooled connection. The table refuses updates, deletes, truncation and any
/// insert that does not extend the log, whoever sends them; see <c>ops/postgres/README.md</c> for the roles.
/// </remarks>
public sealed class PostgresEventStore : IEventStore, IAsyncDisposable
{
    // Reads fetch pages of this many events, each on a connection held only while the page is fetched, so a
    // slow consumer (a projection, a subscription) holds neither a connection nor a snapshot between pages.
    private const int ReadPageSize = 256;

    private readonly NpgsqlDataSource dataSource;
    private readonly PostgresEventsTable table;
    private readonly TimeProvider clock;
    private volatile bool disposed;

    private PostgresEventStore(NpgsqlDataSource dataSource, PostgresSchemaName schema, TimeProvider clock)
    {
        this.dataSource = dataSource;
        this.clock = clock;
        Schema = schema.Name;
        table = new PostgresEventsTable(schema);
    }

    /// <summary>The PostgreSQL schema that holds this store's tables.</summary>
    public string Schema { get; }

    /// <summary>
    /// Opens the event store in <paramref name="schema"/>, creating the schema and its tables when they are
    /// missing and upgrading an older schema version. Safe to call on an existing schema, and from several
    /// processes at once (they migrate one after the other).
    /// </summary>
    /// <param name="connectionString">
    /// An Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=55432;Username=federation;Password=…;Database=federation</c>.
    /// </param>
    /// <param name="schema">
    /// The schema to use: lower-case letters, digits and <c>_</c>, starting with a letter or <c>_</c>, at most 63 characters.
    /// </param>
    /// <param name="clock">Where event timestamps come from; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open store; dispose it to close its connections.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or the schema name is not allowed.</exception>
    /// <exception cref="NotSupportedException">
    /// The schema was written by a newer schema version, or the database's encoding is not UTF8.
    /// </exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the login.</exception>
    public static async Task<PostgresEventStore> OpenAsync(
        string connectionString,
        string schema = "federation",
        TimeProvider? clock = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var schemaName = PostgresSchemaName.Parse(schema);

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "Federation.EventStore";
        var store = new PostgresEventStore(builder.Build(), schemaName, clock ?? TimeProvider.System);
        try
        {
            await using var connection = await store.dataSource.OpenConnectionAsync(cancellationToken);
            await PostgresSchema.MigrateAsync(connection, schemaName, cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        CancellationToken cancellationToken = default)
    {
        EventStoreArguments.ValidateAppend(streamId, expectedVersion, events);
        ObjectDisposedException.ThrowIf(disposed, this);
        return PostgresAppend.AppendAsync(dataSource, table, clock, streamId, expectedVersion, events, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        string streamId, long fromVersion = 1, CancellationToken cancellationToken = default)
    {
        // Checked here, not inside the iterator, so bad arguments throw at the call rather than at the first MoveNext.
        EventStoreArguments.ValidateStreamId(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        return ReadPagesAsync(
            fromVersion,
            (connection, from, token) => table.ReadStreamAsync(connection, streamId, from, ReadPageSize, token),
            last => last.StreamVersion + 1,
            cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<RecordedEvent> ReadAllAsync(long fromPosition = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromPosition, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        return ReadPagesAsync(
            fromPosition,
            (connection, from, token) => table.ReadAllAsync(connection, from, ReadPageSize, token),
            last => last.Position + 1,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> GetStreamVersionAsync(string streamId, CancellationToken cancellationToken = default)
    {
        EventStoreArguments.ValidateStreamId(streamId);
        ObjectDisposedException.ThrowIf(disposed, this);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await table.GetStreamVersionAsync(connection, streamId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> GetLastPositionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await table.GetLastPositionAsync(connection, cancellationToken);
    }

    /// <summary>Closes the store's pooled connections.</summary>
    /// <returns>A task that completes when the connections are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        disposed = true;
        await dataSource.DisposeAsync();
    }

    // Positions and stream versions are gap-free, and every page is read from a snapshot that holds a prefix
    // of the log (or of the stream), so continuing after the last event read never skips or repeats one.
    private async IAsyncEnumerable<RecordedEvent> ReadPagesAsync(
        long from,
        Func<NpgsqlConnection, long, CancellationToken, Task<List<RecordedEvent>>> readPage,
        Func<RecordedEvent, long> next,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            List<RecordedEvent> page;
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            {
                page = await readPage(connection, from, cancellationToken);
            }

            // Checked per event, as a reader that streams rows would: cancelling stops at once, not a page later.
            foreach (var recorded in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return recorded;
            }

            if (page.Count < ReadPageSize)
            {
                yield break;
            }

            from = next(page[^1]);
        }
    }
}
