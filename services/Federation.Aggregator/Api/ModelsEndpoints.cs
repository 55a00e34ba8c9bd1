using Federation.Contracts.Tasks;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Evaluations;
using Federation.Coordination.History;
using Federation.Coordination.Payloads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>The model registry: every version, its provenance, its bytes and its metrics.</summary>
public static class ModelsEndpoints
{
    /// <summary>Maps <c>/api/models</c>.</summary>
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder api)
    {
        var models = api.MapGroup("/models").RequireAuthorization(ApiPolicies.Read);
        models.MapGet("/", async (EventHistory history, CancellationToken cancellationToken) =>
            Results.Ok(await PublishedAsync(history, cancellationToken).ToListAsync(cancellationToken)));

        models.MapGet("/{version:int}", async (int version, EventHistory history, CancellationToken cancellationToken) =>
            await FindAsync(history, version, cancellationToken) is { } published
                ? Results.Ok(published)
                : NotFound(version));

        models.MapGet("/{version:int}/safetensors", async (int version, EventHistory history, PayloadStore payloads, HttpResponse response, CancellationToken cancellationToken) =>
        {
            if (await FindAsync(history, version, cancellationToken) is not { } published)
            {
                return NotFound(version);
            }

            response.Headers["X-Model-Sha256"] = published.ModelSha256;
            return Results.File(await payloads.GetAsync(published.ModelSha256, cancellationToken), "application/octet-stream", $"model-v{version}.safetensors");
        });

        models.MapGet("/{version:int}/metrics", async (int version, EventHistory history, CancellationToken cancellationToken) =>
            await FindAsync(history, version, cancellationToken) is null
                ? NotFound(version)
                : Results.Ok(await ModelMetricsQuery.ReadAsync(history, version, cancellationToken)));
        return api;
    }

    private static IAsyncEnumerable<ModelVersionPublished> PublishedAsync(EventHistory history, CancellationToken cancellationToken) =>
        history.ReadStreamAsync(EventStreams.Models(TaskIds.Default), cancellationToken).Select(entry => entry.Event).OfType<ModelVersionPublished>();

    private static ValueTask<ModelVersionPublished?> FindAsync(EventHistory history, int version, CancellationToken cancellationToken) =>
        PublishedAsync(history, cancellationToken).FirstOrDefaultAsync(published => published.Version == version, cancellationToken);

    private static IResult NotFound(int version) =>
        Results.Problem($"Model version {version} has not been published.", statusCode: StatusCodes.Status404NotFound);
}
