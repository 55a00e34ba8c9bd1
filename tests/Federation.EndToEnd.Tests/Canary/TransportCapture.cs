using System.Collections.Concurrent;
using System.Net.Mime;
using System.Text;
using MassTransit;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// Captures, for every message any host in the process sends or publishes on the in-memory bus, the exact bytes
/// MassTransit hands the transport. A send observer swaps each message's serializer for one that wraps the real
/// serializer's <see cref="MessageBody"/>: the in-memory transport copies <c>SendContext.Body.GetBytes()</c> into its
/// transport message, so those very bytes are recorded as it reads them. Headers are recorded after the send, as
/// the transport copied them. A message whose body the transport never read through the wrapper stays without a body,
/// and <see cref="Messages"/> fails on it, so a change in MassTransit cannot silently blind the capture.
/// </summary>
public sealed class TransportCapture : ISendObserver, IPublishObserver
{
    private readonly ConcurrentQueue<Capture> captures = new();

    /// <summary>Every message sent so far, in order.</summary>
    /// <exception cref="InvalidOperationException">The transport sent a message without reading its body through the capture.</exception>
    public IReadOnlyList<CapturedMessage> Messages()
    {
        var messages = new List<CapturedMessage>();
        foreach (var capture in captures.Where(capture => capture.Sent))
        {
            var body = capture.Body ?? throw new InvalidOperationException(
                $"The transport sent {capture.Destination} without reading its body through the capturing serializer; the capture is blind.");
            messages.Add(new CapturedMessage(capture.Destination, body, capture.Headers));
        }

        return messages;
    }

    public Task PreSend<T>(SendContext<T> context)
        where T : class
    {
        if (context.Serializer is CapturingSerializer)
        {
            return Task.CompletedTask;
        }

        var capture = new Capture(typeof(T).Name);
        captures.Enqueue(capture);
        context.Serializer = new CapturingSerializer(context.Serializer, capture);
        return Task.CompletedTask;
    }

    public Task PostSend<T>(SendContext<T> context)
        where T : class
    {
        if (context.Serializer is CapturingSerializer { Capture: var capture })
        {
            capture.Headers = context.Headers.GetAll()
                .Select(header => (header.Key, Encoding.UTF8.GetBytes(Convert.ToString(header.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "")))
                .Append(("content-type", Encoding.UTF8.GetBytes(context.ContentType?.ToString() ?? "")))
                .ToList();
            capture.Sent = true;
        }

        return Task.CompletedTask;
    }

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => PreSend(context);

    public Task PostPublish<T>(PublishContext<T> context)
        where T : class => PostSend(context);

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    private sealed class Capture(string destination)
    {
        public string Destination { get; } = destination;

        public byte[]? Body { get; set; }

        public IReadOnlyList<(string Name, byte[] Value)> Headers { get; set; } = [];

        public bool Sent { get; set; }
    }

    private sealed class CapturingSerializer(IMessageSerializer inner, Capture capture) : IMessageSerializer
    {
        public Capture Capture => capture;

        public ContentType ContentType => inner.ContentType;

        public MessageBody GetMessageBody<T>(SendContext<T> context)
            where T : class => new CapturingBody(inner.GetMessageBody(context), capture);
    }

    /// <summary>Records whatever form of the body the transport reads.</summary>
    private sealed class CapturingBody(MessageBody inner, Capture capture) : MessageBody
    {
        public long? Length => inner.Length;

        public Stream GetStream() => new MemoryStream(GetBytes(), writable: false);

        public byte[] GetBytes()
        {
            var bytes = inner.GetBytes();
            capture.Body = bytes.ToArray();
            return bytes;
        }

        public string GetString()
        {
            var text = inner.GetString();
            capture.Body = Encoding.UTF8.GetBytes(text);
            return text;
        }
    }
}
