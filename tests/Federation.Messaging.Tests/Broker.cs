using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Federation.Messaging.Tests;

/// <summary>
/// The RabbitMQ node that ops/rabbitmq/up.sh starts, and its local test accounts. The tests use
/// the vhost up.sh prepares for them (same users, same permissions as the live 'federation'
/// vhost), so they never touch a running federation's queues. Port and vhost can be moved with
/// FEDERATION_RABBITMQ_PORT and FEDERATION_RABBITMQ_TEST_VHOST, as in the scripts.
/// </summary>
public static class Broker
{
    public const string Host = "127.0.0.1";
    public static string VirtualHost { get; } = Environment.GetEnvironmentVariable("FEDERATION_RABBITMQ_TEST_VHOST") is { Length: > 0 } vhost
        ? vhost
        : "federation-tests";
    public const string Admin = "federation-admin";
    public const string Aggregator = "aggregator";

    public static int Port { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("FEDERATION_RABBITMQ_PORT"), out var port) ? port : 55672;

    /// <summary>Local test passwords: every user's password is its name (ops/rabbitmq/definitions.md).</summary>
    public static string PasswordOf(string user) => user;

    public static Task<IConnection> ConnectAsync(string user, string? password = null) =>
        new ConnectionFactory
        {
            HostName = Host,
            Port = Port,
            VirtualHost = VirtualHost,
            UserName = user,
            Password = password ?? PasswordOf(user),
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        }.CreateConnectionAsync($"messaging-tests ({user})");

    /// <summary>Fails (never skips) when the broker is not there, saying how to start it.</summary>
    public static async Task EnsureRunningAsync()
    {
        try
        {
            await using var connection = await ConnectAsync(Admin);

            // The client may return a connection the broker is closing (unknown vhost); a channel tells.
            await using var channel = await connection.CreateChannelAsync();
        }
        catch (Exception error) when (error is BrokerUnreachableException or OperationInterruptedException or IOException)
        {
            throw new InvalidOperationException(
                $"These tests need Federation's RabbitMQ node on {Host}:{Port} with vhost '{VirtualHost}' and user '{Admin}', " +
                $"and it is not reachable ({error.GetBaseException().Message}). Start it with `ops/rabbitmq/up.sh` " +
                "(or `make infra-up`), then run the tests again.",
                error);
        }
    }

    /// <summary>Deletes queues and exchanges (in the tests' own vhost).</summary>
    public static async Task DeleteAsync(IEnumerable<string> queues, IEnumerable<string> exchanges)
    {
        await using var connection = await ConnectAsync(Admin);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue);
        }

        foreach (var exchange in exchanges)
        {
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    /// <summary>The first message in a queue, left there.</summary>
    public static async Task<BasicGetResult> PeekAsync(string queue)
    {
        await using var connection = await ConnectAsync(Admin);
        await using var channel = await connection.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: false) ?? throw new InvalidOperationException($"{queue} is empty.");
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        return message;
    }

    /// <summary>Messages waiting in a queue, asked with a passive declare; null when there is no such queue.</summary>
    public static async Task<uint?> MessageCountAsync(string queue)
    {
        await using var connection = await ConnectAsync(Admin);
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException error) when (error.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return null;
        }
    }
}

/// <summary>
/// Checks once per run that the broker is there (every broker test fails if it is not), and
/// starts and ends the run with the hosts' queues in the tests' vhost deleted, so messages of
/// one run (or of an aborted one) never wait for the next.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private static readonly string[] Endpoints =
    [
        "aggregator-contributions", "aggregator-evaluations",
        .. new[] { "factory-1", "factory-2", "factory-3" }.SelectMany(id => new[] { $"gateway-{id}-rounds", $"gateway-{id}-models" }),
    ];

    private static IEnumerable<string> Queues => Endpoints.SelectMany(endpoint => new[] { endpoint, $"{endpoint}_error", $"{endpoint}_skipped" });

    public async Task InitializeAsync()
    {
        await Broker.EnsureRunningAsync();
        await Broker.DeleteAsync(Queues, exchanges: []);
    }

    public Task DisposeAsync() => Broker.DeleteAsync(Queues, exchanges: []);
}

/// <summary>
/// Broker tests run one class at a time: they share the node, the production queue names and the
/// two CPU cores of the machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "RabbitMQ broker";
}
