using System.Globalization;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Payloads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>
/// Payloads too large to travel inside a contribution, uploaded by the gateway before it publishes the contribution
/// that names them by SHA-256 (docs/FORMATS.md, payload upload). The exchange follows the IETF draft "Resumable
/// Uploads for HTTP" (draft-ietf-httpbis-resumable-upload): <c>HEAD</c> tells the offset the aggregator holds
/// (<c>Upload-Offset</c>), <c>PATCH</c> appends from that offset, so an upload cut off midway resumes where it broke.
/// Only enrolled gateways may upload, by their request signature.
/// </summary>
public static class PayloadUploadEndpoints
{
    /// <summary>The bytes the aggregator holds, in a response; the append's start, in a request.</summary>
    public const string OffsetHeader = "Upload-Offset";

    /// <summary>The payload's whole length, in an append.</summary>
    public const string LengthHeader = "Upload-Length";

    /// <summary><c>?1</c> when the payload is whole and in the store, else <c>?0</c> (an RFC 8941 boolean).</summary>
    public const string CompleteHeader = "Upload-Complete";

    /// <summary>Maps <c>HEAD</c> and <c>PATCH /api/payloads/{sha256}</c>.</summary>
    public static IEndpointRouteBuilder MapPayloadUploads(this IEndpointRouteBuilder api)
    {
        // Anonymous at the routing level: a gateway proves itself by its request signature, which no
        // authentication scheme here reads.
        api.MapMethods("/payloads/{sha256}", [HttpMethods.Head], async (
            string sha256, HttpContext context, GatewayKeys keys, PayloadUploads uploads, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            if (await RefusalAsync(context, keys, clock, sha256, cancellationToken) is { } refused)
            {
                return refused;
            }

            Describe(context.Response, uploads.StatusOf(sha256));
            return Results.Ok();
        }).AllowAnonymous();

        api.MapPatch("/payloads/{sha256}", async (
            string sha256, HttpContext context, GatewayKeys keys, PayloadUploads uploads, PayloadOptions options, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            if (await RefusalAsync(context, keys, clock, sha256, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (!TryReadLong(context.Request, OffsetHeader, out long offset) || !TryReadLong(context.Request, LengthHeader, out long length))
            {
                return Results.Problem($"An append needs the {OffsetHeader} and {LengthHeader} headers, each a whole number of bytes.", statusCode: StatusCodes.Status400BadRequest);
            }

            // Kestrel's default body limit (30 MB) would cut every large payload; the payload limit is the one that counts.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = options.MaxPayloadBytes;
            }

            var result = await uploads.AppendAsync(sha256, offset, length, context.Request.Body, cancellationToken);
            Describe(context.Response, result.Status);
            return result.Outcome switch
            {
                UploadOutcome.Stored or UploadOutcome.Completed => Results.NoContent(),
                UploadOutcome.Conflict => Results.Problem(result.Reason, statusCode: StatusCodes.Status409Conflict),
                UploadOutcome.Discarded => Results.Problem(result.Reason, statusCode: StatusCodes.Status422UnprocessableEntity),
                UploadOutcome.TooLarge => Results.Problem(result.Reason, statusCode: StatusCodes.Status413PayloadTooLarge),
                UploadOutcome.NoRoom => Results.Problem(result.Reason, statusCode: StatusCodes.Status503ServiceUnavailable),
                _ => Results.Problem(result.Reason, statusCode: StatusCodes.Status400BadRequest),
            };
        }).AllowAnonymous();
        return api;
    }

    private static void Describe(HttpResponse response, UploadStatus status)
    {
        response.Headers[OffsetHeader] = status.Offset.ToString(CultureInfo.InvariantCulture);
        response.Headers[CompleteHeader] = status.Complete ? "?1" : "?0";
        if (status.Length is { } length)
        {
            response.Headers[LengthHeader] = length.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static bool TryReadLong(HttpRequest request, string header, out long value) =>
        long.TryParse(request.Headers[header].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static async Task<IResult?> RefusalAsync(HttpContext context, GatewayKeys keys, TimeProvider clock, string sha256, CancellationToken cancellationToken)
    {
        if (!GatewayRequestSignature.IsPresent(context.Request))
        {
            return Results.Problem("Only a gateway uploads payloads: sign the request with its enrolled key (Signature-Input and Signature, docs/FORMATS.md).", statusCode: StatusCodes.Status401Unauthorized);
        }

        var registry = await keys.RegistryAsync(cancellationToken);
        if (GatewayRequestSignature.Check(context.Request, registry, clock.GetUtcNow(), out var reason) is null)
        {
            return Results.Problem(reason, statusCode: StatusCodes.Status401Unauthorized);
        }

        return Federation.Trust.Sha256Hex.IsWellFormed(sha256)
            ? null
            : Results.Problem($"'{sha256}' is not a SHA-256 digest (64 lowercase hex digits).", statusCode: StatusCodes.Status400BadRequest);
    }
}
