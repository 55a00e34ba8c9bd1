using System.Text;
using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Messaging.Tests;

/// <summary>A gateway consumer that always fails, e.g. a site whose disk is full.</summary>
public sealed class AlwaysFailingConsumer(Recorder<RoundAnnounced> attempts) : IConsumer<RoundAnnounced>
{
    public Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        attempts.Add(context);
        throw new IOException("No space left on device.");
    }
}

/// <summary>What happens to a message whose consumer keeps failing, under a gateway's own broker user.</summary>
[Collection(BrokerCollection.Name)]
public sealed class FaultTests
{
    private const string Gateway = "factory-3";
    private static readonly string Queue = BrokerFederation.RoundsQueue(Gateway);

    [Fact]
    public async Task Message_whose_consumer_keeps_failing_is_retried_then_left_in_the_endpoints_error_queue()
    {
        var attempts = new Recorder<RoundAnnounced>();
        var sent = Samples.Round(Samples.UniqueNumber());
        await Broker.DeleteAsync(queues: [Queue, $"{Queue}_error"], exchanges: []); // nothing but this test's message
        try
        {
            await using var aggregator = await BusHost.StartAsync(Broker.Aggregator, _ => { });
            await using (await BusHost.StartAsync(
                Gateway,
                bus => bus.AddConsumer<AlwaysFailingConsumer>().Endpoint(endpoint => endpoint.Name = Queue),
                services => services.AddSingleton(attempts)))
            {
                await aggregator.Bus.Publish(sent);

                await WaitUntilAsync(async () => await Broker.MessageCountAsync($"{Queue}_error") == 1, TimeSpan.FromSeconds(30));
            }

            // The first delivery and the default policy's three retries, then the error queue,
            // where an operator finds it (rabbitmqctl list_queues) with the failure in its headers.
            attempts.Count(round => round.Round == sent.Round).ShouldBe(4);
            (await Broker.MessageCountAsync(Queue)).ShouldBe(0u, "the message left the endpoint's own queue");
            var faulted = await Broker.PeekAsync($"{Queue}_error");
            Encoding.UTF8.GetString((byte[])faulted.BasicProperties.Headers!["MT-Fault-Message"]!).ShouldBe("No space left on device.");
        }
        finally
        {
            await Broker.DeleteAsync(queues: [Queue, $"{Queue}_error"], exchanges: []);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not come true in time.");
            }

            await Task.Delay(200);
        }
    }
}
