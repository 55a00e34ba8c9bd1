using System.Globalization;
using Npgsql;
using RabbitMQ.Client;

namespace Federation.Benchmarks.Production;

/// <summary>
/// The real servers the production benchmarks talk to: the loopback PostgreSQL and RabbitMQ that
/// <c>make infra-up</c> starts, moved with the same environment variables the tests read.
/// </summary>
/// <remarks>
/// RabbitMQ work happens in the tests' vhost (<c>federation-tests</c>), never in <c>federation</c>, so a
/// federation running on this machine keeps its queues. PostgreSQL work happens in scratch schemas
/// (<c>bench_…_&lt;guid&gt;</c>) that the benchmarks drop when they end.
/// </remarks>
internal static class ProductionServers
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=55432;Username=federation;Password=federation;Database=federation";

    public const string RabbitHost = "127.0.0.1";

    /// <summary>The broker's administrator: may declare scratch queues and bind them anywhere in the test vhost.</summary>
    public const string RabbitAdmin = "federation-admin";

    public const string RabbitAggregator = "aggregator";

    /// <summary>The gateway users ops/rabbitmq/up.sh creates by default.</summary>
    public static readonly string[] RabbitGateways = ["factory-1", "factory-2", "factory-3"];

    public static string Postgres { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_POSTGRES") is { Length: > 0 } configured ? configured : DefaultPostgres;

    public static int RabbitPort { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("FEDERATION_RABBITMQ_PORT"), CultureInfo.InvariantCulture, out var port) ? port : 55672;

    public static string RabbitVirtualHost { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_RABBITMQ_TEST_VHOST") is { Length: > 0 } vhost ? vhost : "federation-tests";

    /// <summary>The PostgreSQL connection string without its password, for printing.</summary>
    public static string PostgresShown => new NpgsqlConnectionStringBuilder(Postgres) { Password = null }.ToString();

    public static string RabbitShown => $"amqp://{RabbitHost}:{RabbitPort}/{RabbitVirtualHost}";

    /// <summary>Local test passwords equal the user name (ops/rabbitmq/definitions.md).</summary>
    public static Task<IConnection> ConnectRabbitAsync(string user, string purpose) =>
        new ConnectionFactory
        {
            HostName = RabbitHost,
            Port = RabbitPort,
            VirtualHost = RabbitVirtualHost,
            UserName = user,
            Password = user,
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        }.CreateConnectionAsync($"federation-benchmarks ({purpose})");

    /// <summary>The Federation.Messaging settings of a host signed in as <paramref name="user"/>, as environment variables would give them.</summary>
    public static Dictionary<string, string?> BusSettings(string user) => new()
    {
        ["Bus:Kind"] = "RabbitMQ",
        ["Bus:RabbitMQ:Host"] = RabbitHost,
        ["Bus:RabbitMQ:Port"] = RabbitPort.ToString(CultureInfo.InvariantCulture),
        ["Bus:RabbitMQ:VirtualHost"] = RabbitVirtualHost,
        ["Bus:RabbitMQ:Username"] = user,
        ["Bus:RabbitMQ:Password"] = user,
    };

    /// <summary>A fresh scratch schema name: lower-case, well under PostgreSQL's 63 characters.</summary>
    public static string ScratchSchema(string purpose) => $"bench_{purpose}_{Guid.NewGuid():N}";

    public static async Task DropSchemasAsync(IEnumerable<string> schemas)
    {
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        foreach (var schema in schemas)
        {
            // CASCADE takes the append-only triggers with it; they refuse DELETE and TRUNCATE, not DROP.
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
