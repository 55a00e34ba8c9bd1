using System.Reflection;
using Federation.Contracts.Messages;
using Federation.Coordination.Hosting;
using Federation.Site.Hosting;
using MassTransit;
using RabbitMQ.Client.Exceptions;
using RabbitMQ.Client;

namespace Federation.Messaging.Tests;

/// <summary>The hosts' real registrations fit the broker users' permissions, with the queue kinds the design asks for.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TopologyTests
{
    private const string ThirdGateway = "factory-3";

    [Fact]
    public async Task Aggregator_registration_starts_under_the_aggregator_user_on_quorum_queues()
    {
        string[] queues = [BrokerFederation.ContributionsQueue, BrokerFederation.EvaluationsQueue];
        await PurgeAsync(queues); // so the real consumers, which have no aggregator behind them here, get no work

        await using (await BusHost.StartAsync(Broker.Aggregator, bus => bus.AddAggregatorConsumers()))
        {
            foreach (var queue in queues)
            {
                await ShouldBeQuorumQueueAsync(queue);
            }
        }
    }

    [Fact]
    public async Task Gateway_registration_starts_under_the_gateways_own_user_on_quorum_queues()
    {
        await using (await BusHost.StartAsync(ThirdGateway, bus => bus.AddGatewayConsumers($"gateway-{ThirdGateway}")))
        {
            await ShouldBeQuorumQueueAsync(BrokerFederation.RoundsQueue(ThirdGateway));
            await ShouldBeQuorumQueueAsync(BrokerFederation.ModelsQueue(ThirdGateway));
        }
    }

    [Fact]
    public async Task Bus_endpoint_queue_has_the_fixed_per_user_name_that_the_permissions_name()
    {
        await using var host = await BusHost.StartAsync(ThirdGateway, bus => bus.AddGatewayConsumers($"gateway-{ThirdGateway}"));
        host.Bus.Address.AbsolutePath.ShouldEndWith($"/bus-{ThirdGateway}");

        // A request starts the bus endpoint (it receives the replies); nobody answers this one.
        var client = host.Bus.CreateRequestClient<EvaluationReported>(RequestTimeout.After(s: 1));
        await Should.ThrowAsync<RequestTimeoutException>(() => client.GetResponse<ModelPublished>(Samples.Evaluation("request")));

        // It exists, and only the gateway's own connection may use it (an exclusive queue).
        var error = await Should.ThrowAsync<OperationInterruptedException>(() => Broker.MessageCountAsync($"bus-{ThirdGateway}"));
        ((int)error.ShutdownReason!.ReplyCode).ShouldBe(Constants.ResourceLocked, error.ShutdownReason.ReplyText);
    }

    [Fact]
    public void Every_wire_message_has_a_pinned_exchange_name()
    {
        var wireMessages = typeof(RoundAnnounced).Assembly.GetTypes()
            .Where(type => type.GetCustomAttribute<MessageUrnAttribute>() is not null)
            .ToList();

        wireMessages.ShouldNotBeEmpty();
        wireMessages.ShouldAllBe(type => FederationEntityNames.ByMessageType.ContainsKey(type));
        FederationEntityNames.ByMessageType.Values.ShouldAllBe(name => name.StartsWith("federation."));
        FederationEntityNames.ByMessageType.Values.Distinct().Count().ShouldBe(FederationEntityNames.ByMessageType.Count);
    }

    /// <summary>Re-declaring with the quorum type succeeds only if the queue is one (else 406 PRECONDITION_FAILED).</summary>
    private static async Task ShouldBeQuorumQueueAsync(string queue)
    {
        await using var connection = await Broker.ConnectAsync(Broker.Admin);
        await using var channel = await connection.CreateChannelAsync();
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: quorum);
        }
        catch (OperationInterruptedException error)
        {
            throw new Xunit.Sdk.XunitException($"{queue} is not a durable quorum queue: {error.ShutdownReason?.ReplyText}");
        }
    }

    private static async Task PurgeAsync(IEnumerable<string> queues)
    {
        foreach (var queue in queues)
        {
            if (await Broker.MessageCountAsync(queue) is > 0)
            {
                await using var connection = await Broker.ConnectAsync(Broker.Admin);
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueuePurgeAsync(queue);
            }
        }
    }
}
