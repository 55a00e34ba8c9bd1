using System.Security.Claims;
using Federation.Aggregator.Enrolment;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>
/// Gateways and their keys: everyone with a credential reads them (auditors check signatures with
/// them); operators enrol gateways, rotate and revoke keys, and set allowed policies. Every change
/// is an event in the history, naming the operator credential that made it.
/// </summary>
public static class GatewaysEndpoints
{
    /// <summary>Maps <c>/api/gateways</c>.</summary>
    public static IEndpointRouteBuilder MapGateways(this IEndpointRouteBuilder api)
    {
        var gateways = api.MapGroup("/gateways");
        gateways.MapGet("/", async (GatewayKeys keys, CancellationToken cancellationToken) =>
            Results.Ok((await keys.RegistryAsync(cancellationToken)).Gateways.Values.SelectMany(GatewayKey.Of).ToList()))
            .RequireAuthorization(ApiPolicies.Read);

        gateways.MapGet("/{id}/policies", async (string id, GatewayKeys keys, CancellationToken cancellationToken) =>
            (await keys.RegistryAsync(cancellationToken)).Find(id) is { } gateway
                ? Results.Ok(gateway.AllowedPolicies)
                : Results.Problem($"Gateway '{id}' is not enrolled.", statusCode: StatusCodes.Status404NotFound))
            .RequireAuthorization(ApiPolicies.Read);

        gateways.MapPost("/", (EnrolRequest request, GatewayKeys keys, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            Change(() => keys.EnrolAsync(request.Id, request.PublicKey, request.AllowedPolicies ?? [], OperatorOf(user), cancellationToken), created: $"/api/gateways/{request.Id}"))
            .RequireAuthorization(ApiPolicies.Operate);

        gateways.MapPost("/{id}/rotate", (string id, RotateRequest request, GatewayKeys keys, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            request.OverlapHours is { } hours && !(hours is >= 0 and <= 720)
                ? Task.FromResult(Results.Problem($"overlapHours must be between 0 and 720 (30 days); it is {hours}.", statusCode: StatusCodes.Status400BadRequest))
                : Change(() => keys.RotateAsync(id, request.PublicKey, TimeSpan.FromHours(request.OverlapHours ?? 24), OperatorOf(user), cancellationToken)))
            .RequireAuthorization(ApiPolicies.Operate);

        gateways.MapPost("/{id}/keys/{keyId}/revoke", (string id, string keyId, RevokeRequest request, GatewayKeys keys, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            Change(() => keys.RevokeAsync(id, keyId, request.Reason, OperatorOf(user), cancellationToken)))
            .RequireAuthorization(ApiPolicies.Operate);

        gateways.MapPut("/{id}/policies", (string id, AllowPoliciesRequest request, GatewayKeys keys, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            Change(() => keys.AllowPoliciesAsync(id, request.AllowedPolicies ?? [], OperatorOf(user), cancellationToken)))
            .RequireAuthorization(ApiPolicies.Operate);
        return api;
    }

    private static string OperatorOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Name) ?? "unknown";

    private static async Task<IResult> Change<T>(Func<Task<T>> change, string? created = null)
    {
        try
        {
            var recorded = await change();
            return created is null ? Results.Ok(recorded) : Results.Created(created, recorded);
        }
        catch (EnrolmentException error)
        {
            var status = error.NotFound ? StatusCodes.Status404NotFound : error.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest;
            return Results.Problem(error.Message, statusCode: status);
        }
    }
}

/// <summary>One enrolled key as the API shows it (docs/FORMATS.md sections 1 and 10): every key a gateway ever had is listed.</summary>
/// <param name="Id">The gateway id that its manifests name.</param>
/// <param name="PublicKey">Its raw 32-byte Ed25519 public key, base64.</param>
/// <param name="KeyId">SHA-256 of the raw public key, lowercase hex: the <c>keyId</c> its manifests name.</param>
/// <param name="EnrolledAt">Valid from.</param>
/// <param name="ValidUntil">End of the overlap after a rotation; null while current.</param>
/// <param name="RevokedAt">When it was revoked; null if never.</param>
public sealed record GatewayKey(string Id, string PublicKey, string KeyId, DateTimeOffset EnrolledAt, DateTimeOffset? ValidUntil, DateTimeOffset? RevokedAt)
{
    /// <summary>Every key of <paramref name="gateway"/>, in enrolment order.</summary>
    public static IEnumerable<GatewayKey> Of(RegisteredGateway gateway) =>
        gateway.Keys.Select(key => new GatewayKey(gateway.GatewayId, Convert.ToBase64String(key.PublicKey), key.KeyId, key.EnrolledAt, key.ValidUntil, key.RevokedAt));
}

/// <summary>Enrol a gateway with its first key.</summary>
/// <param name="Id">The gateway id its manifests will name.</param>
/// <param name="PublicKey">Its Ed25519 public key, base64 (from <c>fedctl keys init</c>).</param>
/// <param name="AllowedPolicies">SHA-256 of each policy file it may release under.</param>
public sealed record EnrolRequest(string Id, string PublicKey, List<string>? AllowedPolicies);

/// <summary>Replace a gateway's key.</summary>
/// <param name="PublicKey">The new Ed25519 public key, base64.</param>
/// <param name="OverlapHours">How long the old key stays valid; 24 hours when left out.</param>
public sealed record RotateRequest(string PublicKey, double? OverlapHours);

/// <summary>Revoke a key.</summary>
/// <param name="Reason">Why; auditors read it.</param>
public sealed record RevokeRequest(string Reason);

/// <summary>Replace a gateway's allowed policies.</summary>
/// <param name="AllowedPolicies">SHA-256 of each policy file it may release under.</param>
public sealed record AllowPoliciesRequest(List<string>? AllowedPolicies);
