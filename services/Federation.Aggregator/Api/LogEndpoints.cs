using Federation.Audit.Transparency;
using Federation.Coordination.Transparency;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>The tamper-evident log: signed checkpoints, the key to verify them, and proofs.</summary>
public static class LogEndpoints
{
    /// <summary>Maps <c>/api/log</c>.</summary>
    public static IEndpointRouteBuilder MapLog(this IEndpointRouteBuilder api)
    {
        var log = api.MapGroup("/log").RequireAuthorization(ApiPolicies.Read);
        log.MapGet("/key", (TransparencyLog transparency) => Results.Text(transparency.VerifierKey + "\n"));
        log.MapGet("/checkpoint", async (TransparencyLog transparency, CancellationToken cancellationToken) =>
            Results.Text(await transparency.SignedCheckpointAsync(cancellationToken), "text/plain; charset=utf-8"));
        log.MapGet("/inclusion", (long position, long treeSize, TransparencyLog transparency, CancellationToken cancellationToken) =>
            AnswerAsync(() => transparency.InclusionProofAsync(position, treeSize, cancellationToken)));
        log.MapGet("/consistency", (long from, long to, TransparencyLog transparency, CancellationToken cancellationToken) =>
            AnswerAsync(() => transparency.ConsistencyProofAsync(from, to, cancellationToken)));
        return api;
    }

    private static async Task<IResult> AnswerAsync<T>(Func<Task<T>> proof)
    {
        try
        {
            return Results.Ok(await proof());
        }
        catch (ArgumentOutOfRangeException error)
        {
            return Results.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
