using Npgsql;

namespace Federation.EventStore.Tests.Postgres;

/// <summary>
/// The real PostgreSQL server the tests run against: <c>FEDERATION_POSTGRES</c>, or the loopback cluster that
/// <c>ops/postgres/up.sh</c> starts. When it cannot be reached the tests fail, saying how to start it:
/// skipping would let a broken backend pass.
/// </summary>
public static class PostgresServer
{
    public const string DefaultConnectionString =
        "Host=127.0.0.1;Port=55432;Username=federation;Password=federation;Database=federation";

    public static string ConnectionString { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_POSTGRES") is { Length: > 0 } configured ? configured : DefaultConnectionString;

    /// <summary>The read-only role made by ops/postgres/init.sql, on the same server and database.</summary>
    public static string AuditorConnectionString { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_POSTGRES_AUDITOR") is { Length: > 0 } configured
            ? configured
            : new NpgsqlConnectionStringBuilder(ConnectionString) { Username = "federation_auditor", Password = "federation_auditor" }.ToString();

    /// <summary>Opens an unpooled connection, like another tool would, with <paramref name="schema"/> first on the search path.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string? schema = null, string? connectionString = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString ?? ConnectionString) { Pooling = false };
        if (schema is not null)
        {
            builder.SearchPath = schema;
        }

        var connection = new NpgsqlConnection(builder.ToString());
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            await connection.DisposeAsync();
            throw Unreachable(builder.ToString(), exception);
        }
    }

    public static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public static async Task<object?> ExecuteAsync(string sql, string? schema = null)
    {
        await using var connection = await OpenAsync(schema);
        return await ExecuteAsync(connection, sql);
    }

    /// <summary>Runs <paramref name="open"/>, turning "cannot reach the server" into a failure that says what to do.</summary>
    public static async Task<T> ConnectAsync<T>(Func<Task<T>> open, string? connectionString = null)
    {
        try
        {
            return await open();
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            throw Unreachable(connectionString ?? ConnectionString, exception);
        }
    }

    // Nothing listening (a client-side NpgsqlException), or a server that is not set up for the tests: wrong
    // password, no such role (or no pg_hba.conf entry for it), no such database.
    private static bool IsUnreachable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.InvalidPassword
            or PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.InvalidCatalogName,
        NpgsqlException => true,
        _ => false,
    };

    private static InvalidOperationException Unreachable(string connectionString, Exception exception)
    {
        var shown = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
        return new InvalidOperationException(
            $"The PostgreSQL tests need a running server and could not use {shown} ({exception.Message}). "
            + "Start the local one with `make infra-up` (or `ops/postgres/up.sh`), or set FEDERATION_POSTGRES to another server's connection string.",
            exception);
    }
}
