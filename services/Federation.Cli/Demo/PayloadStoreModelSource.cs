using Federation.Contracts.Messages;
using Federation.Coordination.Payloads;
using Federation.Site.Models;

namespace Federation.Cli.Demo;

/// <summary>
/// For gateways that run inside the aggregator's process (the demo, embedded tests): reads announced models straight
/// from the aggregator's payload store instead of over HTTP. The gateway's <see cref="ModelCache"/> still checks the
/// hash and length of what it copies, as it does for a download.
/// </summary>
/// <param name="payloads">The aggregator's payload store.</param>
public sealed class PayloadStoreModelSource(PayloadStore payloads) : IModelSource
{
    /// <inheritdoc />
    public async Task CopyToAsync(ModelReference model, long offset, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        await using var file = payloads.OpenRead(model.Sha256);
        file.Position = offset;
        await file.CopyToAsync(destination, 1 << 20, cancellationToken);
    }
}
