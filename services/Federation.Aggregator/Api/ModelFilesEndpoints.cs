using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Payloads;
using Federation.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Federation.Aggregator.Api;

/// <summary>
/// Published model versions by their SHA-256, for gateways to download: streamed from the payload store with range
/// requests, so a cut download resumes at its byte offset (docs/FORMATS.md, model download).
/// </summary>
public static class ModelFilesEndpoints
{
    /// <summary>Maps <c>GET /api/model-files/{sha256}</c>.</summary>
    public static IEndpointRouteBuilder MapModelFiles(this IEndpointRouteBuilder api)
    {
        // Anonymous at the routing level: a gateway proves itself by its request signature, which no
        // authentication scheme here reads; an operator or auditor by the bearer token, checked below.
        api.MapGet("/model-files/{sha256}", async (
            string sha256, HttpContext context, EventHistory history, GatewayKeys keys, PayloadStore payloads, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            if (await RefusalAsync(context, keys, clock, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (!Sha256Hex.IsWellFormed(sha256))
            {
                return Results.Problem($"'{sha256}' is not a SHA-256 digest (64 lowercase hex digits).", statusCode: StatusCodes.Status400BadRequest);
            }

            if (!await IsPublishedAsync(history, sha256, cancellationToken) || !payloads.Contains(sha256))
            {
                return Results.Problem($"No published model version has SHA-256 {sha256}.", statusCode: StatusCodes.Status404NotFound);
            }

            context.Response.Headers["X-Model-Sha256"] = sha256;
            // The bytes never change under their name, so the hash is a strong ETag and If-Range can rely on it.
            return Results.File(
                payloads.OpenRead(sha256), "application/octet-stream", $"{sha256}.safetensors",
                entityTag: new EntityTagHeaderValue($"\"{sha256}\""), enableRangeProcessing: true);
        }).AllowAnonymous();
        return api;
    }

    private static async Task<IResult?> RefusalAsync(HttpContext context, GatewayKeys keys, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (GatewayRequestSignature.IsPresent(context.Request))
        {
            var registry = await keys.RegistryAsync(cancellationToken);
            return GatewayRequestSignature.Check(context.Request, registry, clock.GetUtcNow(), out var reason) is null
                ? Results.Problem(reason, statusCode: StatusCodes.Status401Unauthorized)
                : null;
        }

        if (context.User.IsInRole(ApiRoles.Operator) || context.User.IsInRole(ApiRoles.Auditor))
        {
            return null;
        }

        return Results.Problem(
            "Sign the request as a gateway (Signature-Input and Signature, docs/FORMATS.md) or present an operator or auditor bearer token.",
            statusCode: StatusCodes.Status401Unauthorized);
    }

    // Only ModelVersionPublished names a model, and it is only ever appended to a task's models stream.
    private static ValueTask<bool> IsPublishedAsync(EventHistory history, string sha256, CancellationToken cancellationToken) =>
        history.ReadAllAsync(1, cancellationToken).AnyAsync(entry => entry.Event is ModelVersionPublished published && published.ModelSha256 == sha256, cancellationToken);
}
