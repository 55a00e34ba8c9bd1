using System.Text;
using System.Text.Json;
using Federation.Contracts.Messages;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Federation.Messaging.Tests;

/// <summary>
/// The broker itself enforces who may read and write what (ops/rabbitmq/definitions.md). These tests
/// talk AMQP directly with RabbitMQ.Client, signed in as one user, and expect the broker to close
/// the channel with 403 ACCESS_REFUSED; the queues they poke at exist (the fixture's hosts made them).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class PermissionTests(BrokerFederation federation) : IClassFixture<BrokerFederation>
{
    private const string Gateway = BrokerFederation.Gateway1;
    private const string OtherGateway = BrokerFederation.Gateway2;

    [Fact]
    public async Task Gateway_cannot_consume_another_gateways_queue() =>
        await ShouldBeRefusedAsync(Gateway, channel => Consume(channel, BrokerFederation.RoundsQueue(OtherGateway)));

    [Fact]
    public async Task Gateway_cannot_consume_the_aggregators_queues()
    {
        await ShouldBeRefusedAsync(Gateway, channel => Consume(channel, BrokerFederation.ContributionsQueue));
        await ShouldBeRefusedAsync(Gateway, channel => Consume(channel, BrokerFederation.EvaluationsQueue));
        await ShouldBeRefusedAsync(Gateway, channel => Consume(channel, BrokerFederation.PayloadChunksQueue));
    }

    [Fact]
    public async Task Gateway_cannot_bind_its_queue_to_the_payload_chunks_exchange_to_read_other_sites_payloads() =>
        await ShouldBeRefusedAsync(Gateway, channel =>
            channel.QueueBindAsync(BrokerFederation.RoundsQueue(Gateway), FederationEntityNames.ContributionPayloadChunk, ""));

    [Fact]
    public async Task Aggregator_cannot_forge_a_payload_chunk() =>
        await ShouldBeRefusedAsync(Broker.Aggregator, channel =>
            Publish(channel, FederationEntityNames.ContributionPayloadChunk, new ContributionPayloadChunk(new string('a', 64), 1, 0, 1, 0, [1])));

    [Fact]
    public async Task Gateway_cannot_read_another_gateways_messages_with_basic_get() =>
        await ShouldBeRefusedAsync(Gateway, channel => channel.BasicGetAsync(BrokerFederation.ModelsQueue(OtherGateway), autoAck: false));

    [Fact]
    public async Task Gateway_cannot_publish_a_round_announcement() =>
        await ShouldBeRefusedAsync(Gateway, channel => Publish(channel, FederationEntityNames.RoundAnnounced, Samples.Round(1)));

    [Fact]
    public async Task Gateway_cannot_publish_a_model() =>
        await ShouldBeRefusedAsync(Gateway, channel => Publish(channel, FederationEntityNames.ModelPublished, Samples.Model(1)));

    [Fact]
    public async Task Gateway_cannot_send_straight_into_another_gateways_queue() =>
        await ShouldBeRefusedAsync(Gateway, channel => Publish(channel, BrokerFederation.RoundsQueue(OtherGateway), Samples.Round(1)));

    [Fact]
    public async Task Gateway_cannot_bind_its_queue_to_the_contributions_exchange_to_read_other_sites_updates() =>
        await ShouldBeRefusedAsync(Gateway, channel =>
            channel.QueueBindAsync(BrokerFederation.RoundsQueue(Gateway), FederationEntityNames.ContributionSubmitted, ""));

    [Fact]
    public async Task Gateway_cannot_declare_queues_outside_its_own_names() =>
        await ShouldBeRefusedAsync(Gateway, channel => channel.QueueDeclareAsync("gateway-factory-2-spy", durable: false, exclusive: true, autoDelete: true));

    [Fact]
    public async Task Aggregator_cannot_forge_a_contribution() =>
        await ShouldBeRefusedAsync(Broker.Aggregator, channel =>
            Publish(channel, FederationEntityNames.ContributionSubmitted, Samples.Contribution("forged")));

    [Fact]
    public async Task Aggregator_cannot_consume_a_gateways_queue() =>
        await ShouldBeRefusedAsync(Broker.Aggregator, channel => Consume(channel, BrokerFederation.RoundsQueue(Gateway)));

    [Fact]
    public async Task Gateway_can_publish_a_contribution_and_the_aggregator_receives_it()
    {
        var sent = Samples.Contribution(Guid.NewGuid().ToString("N"));
        await using var connection = await Broker.ConnectAsync(Gateway);
        await using var channel = await connection.CreateChannelAsync(Confirmed);

        // Returns once the broker has confirmed the message: it accepted the write.
        await Publish(channel, FederationEntityNames.ContributionSubmitted, sent);

        var received = await federation.Contributions.WaitForAsync(contribution => contribution.Manifest == sent.Manifest);
        received.Message.ShouldEqualMessage(sent);
    }

    [Fact]
    public async Task Gateway_can_read_its_own_queue() =>
        await ShouldBeAllowedAsync(Gateway, channel => channel.BasicGetAsync(BrokerFederation.ModelsQueue(Gateway), autoAck: false));

    private static readonly CreateChannelOptions Confirmed = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private static Task Consume(IChannel channel, string queue) =>
        channel.BasicConsumeAsync(queue, autoAck: false, new AsyncEventingBasicConsumer(channel));

    /// <summary>Publishes a message in MassTransit's JSON envelope, as MassTransit would put it on the wire.</summary>
    private static async Task Publish<T>(IChannel channel, string exchange, T message)
        where T : class
    {
        var urn = typeof(T).GetCustomAttributes(typeof(MassTransit.MessageUrnAttribute), inherit: false)
            .Cast<MassTransit.MessageUrnAttribute>().Single().Urn.ToString();
        var envelope = new Dictionary<string, object>
        {
            ["messageId"] = Guid.NewGuid(),
            ["messageType"] = new[] { urn },
            ["message"] = message,
        };
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(envelope, JsonSerializerOptions.Web));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true };
        await channel.BasicPublishAsync(exchange, routingKey: "", mandatory: false, properties, body);
    }

    private static async Task ShouldBeRefusedAsync(string user, Func<IChannel, Task> action)
    {
        await using var connection = await Broker.ConnectAsync(user);
        await using var channel = await connection.CreateChannelAsync(Confirmed);
        var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, reason) =>
        {
            closed.TrySetResult(reason);
            return Task.CompletedTask;
        };

        try
        {
            await action(channel);
        }
        catch (Exception error) when (error is OperationInterruptedException or PublishException)
        {
            // Expected: the broker closed the channel. Its reason is checked below.
        }

        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(
            task => task.IsCompletedSuccessfully ? task.Result : null,
            TaskScheduler.Default);
        reason.ShouldNotBeNull($"the broker let '{user}' do it: the channel is still open");
        ((int)reason.ReplyCode).ShouldBe(Constants.AccessRefused, reason.ReplyText);
        reason.ReplyText.ShouldContain("ACCESS_REFUSED");
        reason.ReplyText.ShouldContain($"user '{user}'");
    }

    private static async Task ShouldBeAllowedAsync(string user, Func<IChannel, Task> action)
    {
        await using var connection = await Broker.ConnectAsync(user);
        await using var channel = await connection.CreateChannelAsync(Confirmed);
        await action(channel);
        channel.IsOpen.ShouldBeTrue();
    }
}
