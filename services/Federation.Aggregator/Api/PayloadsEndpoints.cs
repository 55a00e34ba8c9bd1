using Federation.Coordination.Payloads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>
/// Any blob of the payload store by its SHA-256: contribution payloads, model versions and
/// strategy states, so an auditor can re-aggregate a version from exactly what the history names.
/// </summary>
public static class PayloadsEndpoints
{
    /// <summary>Maps <c>GET /api/payloads/{sha256}</c>.</summary>
    public static IEndpointRouteBuilder MapPayloads(this IEndpointRouteBuilder api)
    {
        api.MapGet("/payloads/{sha256}", async (string sha256, PayloadStore payloads, HttpResponse response, CancellationToken cancellationToken) =>
        {
            if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
            {
                return Results.Problem($"'{sha256}' is not a SHA-256 digest (64 hex digits).", statusCode: StatusCodes.Status400BadRequest);
            }

            var name = sha256.ToLowerInvariant();
            try
            {
                var bytes = await payloads.GetAsync(name, cancellationToken);
                response.Headers["X-Payload-Sha256"] = name;
                return Results.File(bytes, "application/octet-stream", name);
            }
            catch (FileNotFoundException)
            {
                return Results.Problem($"No payload, model version or strategy state with SHA-256 {name} is stored.", statusCode: StatusCodes.Status404NotFound);
            }
            catch (InvalidDataException error)
            {
                // The store re-hashes every blob it reads; serving bytes that no longer match their name would mislead the auditor.
                return Results.Problem(error.Message, statusCode: StatusCodes.Status500InternalServerError);
            }
        }).RequireAuthorization(ApiPolicies.Read);
        return api;
    }
}
