using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// A copy of everything published on one RabbitMQ virtual host, made by the broker itself: RabbitMQ's firehose tracer
/// (on for the vhost, see ops/rabbitmq/traced-vhost.sh) republishes every message published there to the
/// <c>amq.rabbitmq.trace</c> exchange with routing key <c>publish.EXCHANGE</c>, the original body as its body and the
/// original properties and headers in its own headers. This reads that copy, independent of our code and MassTransit.
/// </summary>
public sealed class FirehoseCapture : IAsyncDisposable
{
    private const string TraceExchange = "amq.rabbitmq.trace";
    private readonly ConcurrentQueue<CapturedMessage> messages = new();
    private readonly IConnection connection;
    private readonly IChannel channel;

    private FirehoseCapture(IConnection connection, IChannel channel)
    {
        this.connection = connection;
        this.channel = channel;
    }

    /// <summary>Every message published on the vhost since <see cref="StartAsync"/>, in the order the broker traced them.</summary>
    public IReadOnlyList<CapturedMessage> Messages => [.. messages];

    /// <summary>Binds a private queue to the trace exchange and starts reading; call before anything is published.</summary>
    public static async Task<FirehoseCapture> StartAsync(ConnectionFactory factory)
    {
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        // publish.# only: the tracer also reports every delivery (deliver.QUEUE), which would count messages twice.
        await channel.QueueBindAsync(queue, TraceExchange, "publish.#");
        var capture = new FirehoseCapture(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            capture.messages.Enqueue(Copy(delivery));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return capture;
    }

    /// <summary>Waits until the copy holds a message matching <paramref name="condition"/> (the tracer is asynchronous).</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<CapturedMessage>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Messages))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The firehose copy did not show {what} within {timeout}; it holds {Messages.Count} messages.");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await channel.CloseAsync();
        await connection.CloseAsync();
        channel.Dispose();
        connection.Dispose();
    }

    private static CapturedMessage Copy(BasicDeliverEventArgs delivery)
    {
        var headers = new List<(string, byte[])>();
        Flatten("", delivery.BasicProperties.Headers, headers);
        var exchange = delivery.RoutingKey.StartsWith("publish.", StringComparison.Ordinal) ? delivery.RoutingKey["publish.".Length..] : delivery.RoutingKey;
        return new CapturedMessage(exchange, delivery.Body.ToArray(), headers);
    }

    /// <summary>Every header value, tables and arrays walked, as (dotted name, bytes): long strings are bytes already.</summary>
    private static void Flatten(string name, object? value, List<(string, byte[])> into)
    {
        switch (value)
        {
            case null:
                break;
            case byte[] bytes:
                into.Add((name, bytes));
                break;
            case string text:
                into.Add((name, Encoding.UTF8.GetBytes(text)));
                break;
            case IDictionary<string, object?> table:
                foreach (var (key, inner) in table)
                {
                    Flatten(name.Length == 0 ? key : $"{name}.{key}", inner, into);
                }

                break;
            case IEnumerable list:
                var index = 0;
                foreach (var inner in list)
                {
                    Flatten($"{name}[{index++}]", inner, into);
                }

                break;
            default:
                into.Add((name, Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")));
                break;
        }
    }
}
