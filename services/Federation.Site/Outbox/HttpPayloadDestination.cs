using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Federation.Trust;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Site.Outbox;

/// <summary>
/// Uploads payloads to the aggregator's <c>/api/payloads/{sha256}</c>, resumably (docs/FORMATS.md, payload upload):
/// <c>HEAD</c> asks how many bytes the aggregator holds, <c>PATCH</c> streams the file from there. Every request is
/// signed with the gateway's enrolled key (RFC 9421, <see cref="HttpMessageSignature"/>), as model downloads are.
/// The file is streamed, never loaded: memory stays flat whatever the payload's size.
/// </summary>
/// <param name="http">The client; its lifetime is the caller's.</param>
/// <param name="aggregator">The aggregator's base URL, e.g. <c>https://aggregator.example/</c>.</param>
/// <param name="gatewayId">This gateway's enrolled id.</param>
/// <param name="key">This gateway's current key, as enrolled.</param>
/// <param name="clock">Gives the signature's <c>created</c>; the aggregator refuses it 5 minutes off its own clock.</param>
/// <param name="logger">Where a discarded payload is reported; none when null.</param>
public sealed class HttpPayloadDestination(
    HttpClient http, Uri aggregator, string gatewayId, Ed25519KeyPair key, TimeProvider clock, ILogger? logger = null) : IPayloadDestination
{
    private const string OffsetHeader = "Upload-Offset";
    private const string LengthHeader = "Upload-Length";
    private const string CompleteHeader = "Upload-Complete";

    // An append that ends short of the whole or meets a conflict asks again; after a few, the outbox's backoff takes over.
    private const int Attempts = 3;

    private readonly Uri baseAddress = AggregatorAddress.Of(aggregator);
    private readonly ILogger log = logger ?? NullLogger.Instance;

    /// <inheritdoc />
    public async Task SendAsync(string sha256, string file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var target = new Uri(baseAddress, $"api/payloads/{sha256}");
        long length = new FileInfo(file).Length;
        for (int attempt = 1; ; attempt++)
        {
            var (offset, complete) = await StatusAsync(target, cancellationToken);
            if (complete)
            {
                return;
            }

            using var request = Signed(HttpMethod.Patch, target);
            request.Headers.TryAddWithoutValidation(OffsetHeader, offset.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(LengthHeader, length.ToString(CultureInfo.InvariantCulture));
            request.Content = new FileTailContent(file, offset);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/partial-upload");
            using var response = await http.SendAsync(request, cancellationToken);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NoContent when response.Headers.TryGetValues(CompleteHeader, out var done) && done.Single() == "?1":
                    return;
                case HttpStatusCode.NoContent or HttpStatusCode.Conflict when attempt < Attempts:
                    // Kept without the whole (the body broke off), or another append of it was running: ask again, go on.
                    continue;
                case HttpStatusCode.UnprocessableEntity:
                    // The aggregator discarded the bytes as not hashing to their name and recorded why; the contribution
                    // naming them is rejected with that reason, which is where auditors (and this factory) see it.
                    log.LogWarning("Gateway {Gateway}: the aggregator discarded payload {Sha256}: {Reason}", gatewayId, sha256, await ProblemAsync(response, cancellationToken));
                    return;
                default:
                    throw new HttpRequestException(
                        $"Uploading payload {sha256} to {target} from byte {offset} failed with {(int)response.StatusCode} {response.StatusCode}: {await ProblemAsync(response, cancellationToken)}",
                        null, response.StatusCode);
            }
        }
    }

    private async Task<(long Offset, bool Complete)> StatusAsync(Uri target, CancellationToken cancellationToken)
    {
        using var request = Signed(HttpMethod.Head, target);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Asking {target} how much of the payload it holds failed with {(int)response.StatusCode} {response.StatusCode}.", null, response.StatusCode);
        }

        return response.Headers.TryGetValues(OffsetHeader, out var offsets)
            && long.TryParse(offsets.Single(), NumberStyles.None, CultureInfo.InvariantCulture, out long offset)
            ? (offset, response.Headers.TryGetValues(CompleteHeader, out var complete) && complete.Single() == "?1")
            : throw new HttpRequestException($"{target} answered without a well-formed {OffsetHeader} header.");
    }

    private HttpRequestMessage Signed(HttpMethod method, Uri target)
    {
        var request = new HttpRequestMessage(method, target);
        HttpMessageSignature.SignRequest(request, clock.GetUtcNow(), gatewayId, key);
        return request;
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length <= 500 ? text : text[..500] + "…";
    }

    /// <summary>
    /// The bytes of a file from an offset to its end, opened when they are sent (not a positioned stream: a handler that
    /// rewinds a seekable stream content before sending would send the file from byte 0).
    /// </summary>
    private sealed class FileTailContent(string file, long offset) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            source.Position = offset;
            await source.CopyToAsync(stream, 256 * 1024, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = new FileInfo(file).Length - offset;
            return true;
        }
    }
}
