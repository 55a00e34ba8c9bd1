using Microsoft.Data.Sqlite;

namespace Federation.EventStore;

/// <summary>
/// Opens pooled connections to one database file, each set up to wait for other writers instead of failing.
/// Every operation uses its own connection, so threads and processes never share connection state.
/// </summary>
internal sealed class SqliteConnectionFactory
{
    // Long enough that a burst of concurrent appenders queues up rather than throwing SQLITE_BUSY.
    private const int BusyTimeoutMilliseconds = 30_000;

    private readonly string connectionString;

    public SqliteConnectionFactory(string databasePath)
    {
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = connection.CreateCommand();

            // busy_timeout: SQLite itself waits (with short back-offs) for the write lock.
            // synchronous = FULL: an acknowledged append survives a power cut, not just a process crash.
            pragmas.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = FULL;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the idle pooled connections, releasing the database file.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
