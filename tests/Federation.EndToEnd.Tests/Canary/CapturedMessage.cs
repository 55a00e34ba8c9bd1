using System.Text.Json;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>One message as the transport got it: the serialized body and every header, each as its bytes.</summary>
/// <param name="Destination">Where it went (exchange or message type), to tell gateway messages from the aggregator's.</param>
/// <param name="Body">The exact body bytes.</param>
/// <param name="Headers">Every header and transport property, flattened to (name, value bytes).</param>
public sealed record CapturedMessage(string Destination, byte[] Body, IReadOnlyList<(string Name, byte[] Value)> Headers)
{
    /// <summary>The MassTransit message id from the envelope, if the body is a MassTransit JSON envelope.</summary>
    public Guid? MessageId
    {
        get
        {
            try
            {
                using var envelope = JsonDocument.Parse(Body);
                return envelope.RootElement.TryGetProperty("messageId", out var id) && id.TryGetGuid(out var guid) ? guid : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
