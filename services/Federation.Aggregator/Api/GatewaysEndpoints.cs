using System.Security.Claims;
using Federation.Audit.Registry;
using Federation.Contracts.Api;
using Federation.Coordination.Enrolment;
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
            Results.Ok((await keys.RegistryAsync(cancellationToken)).Gateways.Values.SelectMany(gateway => gateway.ListedKeys()).ToList()))
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
