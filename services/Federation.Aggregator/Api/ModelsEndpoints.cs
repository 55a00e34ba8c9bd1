using System.Security.Claims;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Coordination.Payloads;
using Federation.Coordination.Releases;
using Federation.Coordination.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>
/// The model registry of a task (<c>?task=T</c>, task <c>default</c> when absent): every version, its provenance,
/// release status, bytes and metrics; and an operator's release of a held version.
/// </summary>
public static class ModelsEndpoints
{
    /// <summary>Maps <c>/api/models</c>.</summary>
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder api)
    {
        var models = api.MapGroup("/models").RequireAuthorization(ApiPolicies.Read);
        models.MapGet("/", async (string? task, TaskRegistry tasks, EventHistory history, ReleaseRecorder releases, CancellationToken cancellationToken) =>
        {
            task ??= TaskIds.Default;
            if (!await ExistsAsync(tasks, task, cancellationToken))
            {
                return UnknownTask(task);
            }

            var latest = await releases.LatestAsync(task, cancellationToken);
            return Results.Ok(await PublishedAsync(history, task, cancellationToken)
                .Select(published => ModelVersionListing.Of(published, ReleaseDecisions.Status(latest.GetValueOrDefault(published.Version))))
                .ToListAsync(cancellationToken));
        });

        models.MapGet("/{version:int}", (int version, string? task, TaskRegistry tasks, EventHistory history, CancellationToken cancellationToken) =>
            WithVersionAsync(tasks, history, task, version, published => Task.FromResult(Results.Ok(published)), cancellationToken));

        models.MapGet("/{version:int}/safetensors", (int version, string? task, TaskRegistry tasks, EventHistory history, PayloadStore payloads, HttpResponse response, CancellationToken cancellationToken) =>
            WithVersionAsync(tasks, history, task, version, async published =>
            {
                response.Headers["X-Model-Sha256"] = published.ModelSha256;
                return Results.File(await payloads.GetAsync(published.ModelSha256, cancellationToken), "application/octet-stream", $"model-v{version}.safetensors");
            }, cancellationToken));

        models.MapGet("/{version:int}/metrics", (int version, string? task, TaskRegistry tasks, EventHistory history, CancellationToken cancellationToken) =>
            WithVersionAsync(tasks, history, task, version, async _ =>
                Results.Ok(await ModelMetricsQuery.ReadAsync(history, task ?? TaskIds.Default, version, cancellationToken)), cancellationToken));

        models.MapPost("/{version:int}/release", async (int version, string? task, ModelReleaseRequest request, ReleaseRecorder releases, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        {
            try
            {
                return Results.Ok(await releases.ReleaseHeldAsync(task ?? TaskIds.Default, version, request.Reason, user.Identity?.Name ?? "unknown", cancellationToken));
            }
            catch (ReleaseRefusedException refused)
            {
                return Results.Problem(refused.Message, statusCode: StatusCodes.Status400BadRequest);
            }
        }).RequireAuthorization(ApiPolicies.Operate);
        return api;
    }

    private static async Task<IResult> WithVersionAsync(
        TaskRegistry tasks, EventHistory history, string? task, int version, Func<ModelVersionPublished, Task<IResult>> found, CancellationToken cancellationToken)
    {
        task ??= TaskIds.Default;
        if (!await ExistsAsync(tasks, task, cancellationToken))
        {
            return UnknownTask(task);
        }

        return await PublishedAsync(history, task, cancellationToken).FirstOrDefaultAsync(published => published.Version == version, cancellationToken) is { } published
            ? await found(published)
            : Results.Problem($"Model version {version} of task '{task}' has not been published.", statusCode: StatusCodes.Status404NotFound);
    }

    // Task default answers even before its creation is recorded: its models stream is older than tasks.
    private static async Task<bool> ExistsAsync(TaskRegistry tasks, string task, CancellationToken cancellationToken) =>
        task == TaskIds.Default || (await tasks.CatalogAsync(cancellationToken)).Find(task) is not null;

    private static IAsyncEnumerable<ModelVersionPublished> PublishedAsync(EventHistory history, string task, CancellationToken cancellationToken) =>
        history.ReadStreamAsync(EventStreams.Models(task), cancellationToken).Select(entry => entry.Event).OfType<ModelVersionPublished>();

    private static IResult UnknownTask(string task) =>
        Results.Problem($"Task '{task}' does not exist (fedctl tasks ls lists them).", statusCode: StatusCodes.Status404NotFound);
}
