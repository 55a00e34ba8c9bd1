using System.Net;
using System.Net.Http.Headers;
using Federation.Contracts.Messages;
using Federation.Trust;

namespace Federation.Site.Models;

/// <summary>
/// Downloads models from the aggregator's <c>GET /api/model-files/{sha256}</c> with a range request from the offset
/// on, signed with the gateway's enrolled key (RFC 9421, <see cref="HttpMessageSignature"/>; docs/FORMATS.md).
/// </summary>
/// <param name="http">The client; its lifetime is the caller's.</param>
/// <param name="aggregator">The aggregator's base URL, e.g. <c>https://aggregator.example/</c>.</param>
/// <param name="gatewayId">This gateway's enrolled id.</param>
/// <param name="key">This gateway's current key, as enrolled.</param>
/// <param name="clock">Gives the signature's <c>created</c>; the aggregator refuses it 5 minutes off its own clock.</param>
public sealed class HttpModelSource(HttpClient http, Uri aggregator, string gatewayId, Ed25519KeyPair key, TimeProvider clock) : IModelSource
{
    private readonly Uri baseAddress = AggregatorAddress.Of(aggregator);

    /// <inheritdoc />
    /// <exception cref="HttpRequestException">The aggregator refused or does not have the model; the message names the hash and the status.</exception>
    public async Task CopyToAsync(ModelReference model, long offset, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"api/model-files/{model.Sha256}"));
        request.Headers.Range = new RangeHeaderValue(offset, null);
        HttpMessageSignature.SignRequest(request, clock.GetUtcNow(), gatewayId, key);

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException(
                $"Downloading model {model.Sha256} from {request.RequestUri} failed with {(int)response.StatusCode} {response.StatusCode}: {Shorten(detail)}",
                null, response.StatusCode);
        }

        // A server that ignored the range would send the file from byte 0; appending that to a partial file would corrupt it.
        var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? -1 : 0;
        if (start != offset)
        {
            throw new HttpRequestException(
                $"Downloading model {model.Sha256}: asked for bytes from {offset} on, the aggregator answered {(int)response.StatusCode} starting at {start}.",
                null, response.StatusCode);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(destination, cancellationToken);
    }

    private static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
