using System.Runtime.CompilerServices;

namespace Federation.EventStore;

/// <summary>
/// An <see cref="IEventStore"/> in a single SQLite file. Safe to use from many threads at once, and from
/// several processes on the same file: appends queue up for SQLite's write lock, reads never wait.
/// </summary>
public sealed class SqliteEventStore : IEventStore, IAsyncDisposable
{
    private readonly SqliteConnectionFactory connections;
    private readonly TimeProvider clock;

    // Appends from this process queue here: in arrival order, and waiting without blocking a thread.
    // Otherwise every waiting append would block a thread inside SQLite's busy handler, which sleeps and
    // polls and usually lets the writer that just committed win again. Appends from other processes are
    // still serialized by SQLite's write lock (BEGIN IMMEDIATE plus the busy timeout).
    private readonly SemaphoreSlim appendGate = new(1, 1);
    private volatile bool disposed;

    private SqliteEventStore(SqliteConnectionFactory connections, TimeProvider clock)
    {
        this.connections = connections;
        this.clock = clock;
    }

    /// <summary>
    /// Opens the event store in <paramref name="databasePath"/>, creating the folder, the file and the schema
    /// when they are missing and upgrading an older schema. Safe to call on an existing database.
    /// </summary>
    /// <param name="databasePath">The database file.</param>
    /// <param name="clock">Where event timestamps come from; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open store; dispose it to release the file.</returns>
    /// <exception cref="NotSupportedException">The database was written by a newer schema version.</exception>
    public static async Task<SqliteEventStore> OpenAsync(
        string databasePath, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var fullPath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);

        var store = new SqliteEventStore(new SqliteConnectionFactory(fullPath), clock ?? TimeProvider.System);
        try
        {
            await using var connection = await store.connections.OpenAsync(cancellationToken);
            await SqliteSchema.MigrateAsync(connection, cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<AppendResult> AppendAsync(
        string streamId,
        long expectedVersion,
        IReadOnlyList<EventData> events,
        CancellationToken cancellationToken = default)
    {
        EventStoreArguments.ValidateAppend(streamId, expectedVersion, events);
        ObjectDisposedException.ThrowIf(disposed, this);

        await appendGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await connections.OpenAsync(cancellationToken);
            return await SqliteAppend.AppendAsync(connection, clock, streamId, expectedVersion, events, cancellationToken);
        }
        finally
        {
            appendGate.Release();
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        string streamId, long fromVersion = 1, CancellationToken cancellationToken = default)
    {
        // Checked here, not inside the iterator, so bad arguments throw at the call rather than at the first MoveNext.
        EventStoreArguments.ValidateStreamId(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        return ReadAsync((table, token) => table.ReadStreamAsync(streamId, fromVersion, -1, token), cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<RecordedEvent> ReadAllAsync(long fromPosition = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromPosition, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        return ReadAsync((table, token) => table.ReadAllAsync(fromPosition, token), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> GetStreamVersionAsync(string streamId, CancellationToken cancellationToken = default)
    {
        EventStoreArguments.ValidateStreamId(streamId);
        ObjectDisposedException.ThrowIf(disposed, this);
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await new SqliteEventsTable(connection).GetStreamVersionAsync(streamId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> GetLastPositionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await new SqliteEventsTable(connection).GetLastPositionAsync(cancellationToken);
    }

    /// <summary>Closes the store's idle connections so the database file is released.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        // The append gate is left alone: it holds no OS handle, and disposing it would make an append that
        // is still running fail when it releases the gate.
        disposed = true;
        connections.ClearPool();
        return ValueTask.CompletedTask;
    }

    // The connection lives exactly as long as the enumeration, which is what makes the reads lazy.
    private async IAsyncEnumerable<RecordedEvent> ReadAsync(
        Func<SqliteEventsTable, CancellationToken, IAsyncEnumerable<RecordedEvent>> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await foreach (var recorded in read(new SqliteEventsTable(connection), cancellationToken))
        {
            yield return recorded;
        }
    }
}
