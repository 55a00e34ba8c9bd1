using System.Collections.Concurrent;

namespace Federation.Site.Models;

/// <summary>
/// Each gateway's <see cref="ModelCache"/>, in <c>&lt;state directory&gt;/models</c>, fed by the source the host chose:
/// the aggregator's HTTPS API for a gateway process (<see cref="HttpModelSource"/>), the aggregator's payload store
/// for gateways running inside the aggregator's process (the demo).
/// </summary>
/// <param name="sourceFor">The source a gateway downloads from; null when the host configured none.</param>
public sealed class GatewayModelFiles(Func<GatewayNode, IModelSource>? sourceFor)
{
    private readonly ConcurrentDictionary<string, ModelCache> caches = new(StringComparer.Ordinal);

    /// <summary>The model cache of <paramref name="gateway"/>.</summary>
    /// <exception cref="InvalidOperationException">The host configured no model source.</exception>
    public ModelCache For(GatewayNode gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return caches.GetOrAdd(gateway.Id, _ => new ModelCache(
            Path.Combine(gateway.State.Directory, "models"),
            sourceFor?.Invoke(gateway)
                ?? throw new InvalidOperationException(
                    $"Gateway {gateway.Id} has no model source to download announced models from: set Gateway:Aggregator:BaseUrl to the aggregator's URL.")));
    }
}
