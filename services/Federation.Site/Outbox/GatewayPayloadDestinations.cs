using System.Collections.Concurrent;

namespace Federation.Site.Outbox;

/// <summary>
/// Where each gateway uploads payloads too large for its contribution, as the host chose: the aggregator's HTTPS API
/// for a gateway process (<see cref="HttpPayloadDestination"/>), the aggregator's own payload uploads for gateways
/// running inside the aggregator's process (the demo).
/// </summary>
/// <param name="destinationFor">The destination of a gateway; null when the host configured none.</param>
public sealed class GatewayPayloadDestinations(Func<GatewayNode, IPayloadDestination>? destinationFor)
{
    private readonly ConcurrentDictionary<string, IPayloadDestination> destinations = new(StringComparer.Ordinal);

    /// <summary>The destination of <paramref name="gateway"/>.</summary>
    /// <exception cref="InvalidOperationException">The host configured none; the outbox keeps the entry and says so on every attempt.</exception>
    public IPayloadDestination For(GatewayNode gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return destinations.GetOrAdd(gateway.Id, _ => destinationFor?.Invoke(gateway)
            ?? throw new InvalidOperationException(
                $"Gateway {gateway.Id} has an update too large for one message and nowhere to upload it: set Gateway:Aggregator:BaseUrl to the aggregator's URL."));
    }
}
