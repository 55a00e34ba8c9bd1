using Federation.Aggregator.Enrolment;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>The enrolled gateways and their public keys, so auditors can check every signed contribution themselves.</summary>
public static class GatewaysEndpoints
{
    /// <summary>Maps <c>GET /api/gateways</c>.</summary>
    public static IEndpointRouteBuilder MapGateways(this IEndpointRouteBuilder api)
    {
        api.MapGet("/gateways", (EnrolledGateways gateways) =>
            Results.Ok(gateways.Ids
                .Select(id => gateways.Find(id)!)
                .Select(gateway => new GatewayKey(gateway.GatewayId, Convert.ToBase64String(gateway.PublicKey), gateway.KeyId))
                .ToList()))
            .RequireAuthorization(ApiPolicies.Read);
        return api;
    }
}

/// <summary>One enrolled gateway as the API shows it (docs/FORMATS.md sections 1 and 10).</summary>
/// <param name="Id">The gateway id that its manifests name.</param>
/// <param name="PublicKey">Its raw 32-byte Ed25519 public key, base64.</param>
/// <param name="KeyId">SHA-256 of the raw public key, lowercase hex: the <c>keyId</c> its manifests name.</param>
public sealed record GatewayKey(string Id, string PublicKey, string KeyId);
