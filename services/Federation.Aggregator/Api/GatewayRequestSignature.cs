using Federation.Audit.Registry;
using Federation.Trust;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Federation.Aggregator.Api;

/// <summary>
/// Checks the RFC 9421 signature a gateway puts on its requests (<see cref="HttpMessageSignature"/>): the keyid must
/// name a gateway and a key valid now in the registry, <c>created</c> must be within <see cref="MaxSkew"/> of the
/// aggregator's clock, and the signature must cover this request's method and URL.
/// </summary>
public static class GatewayRequestSignature
{
    /// <summary>How far <c>created</c> may be from the aggregator's clock, either way.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>Whether the request carries a signature at all (then it is judged by it, not by a token).</summary>
    public static bool IsPresent(HttpRequest request) =>
        request.Headers.ContainsKey(HttpMessageSignature.InputHeader) || request.Headers.ContainsKey(HttpMessageSignature.SignatureHeader);

    /// <summary>Returns the signing gateway's id, or null and the reason the signature is refused.</summary>
    public static string? Check(HttpRequest request, GatewayRegistry registry, DateTimeOffset now, out string? reason)
    {
        var signed = HttpMessageSignature.TryRead(
            request.Headers[HttpMessageSignature.InputHeader].ToString(), request.Headers[HttpMessageSignature.SignatureHeader].ToString(), out reason);
        if (signed is null)
        {
            return null;
        }

        if (registry.FindValidKey(signed.GatewayId, signed.SignerKeyId, now, out var rejection) is not { } key)
        {
            reason = rejection!.Detail;
            return null;
        }

        // The URL as this host received it; behind a TLS-terminating proxy, forwarded headers must restore https and the host.
        reason = HttpMessageSignature.Verify(signed, request.Method, request.GetEncodedUrl(), key.PublicKey, now, MaxSkew);
        return reason is null ? signed.GatewayId : null;
    }
}
