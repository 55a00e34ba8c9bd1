using Federation.EventStore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>The raw history, page by page, for auditors and tools.</summary>
public static class EventsEndpoints
{
    private const int MaxPage = 1000;

    /// <summary>Maps <c>/api/events?from=N&amp;limit=M</c>.</summary>
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder api)
    {
        api.MapGet("/events", async (IEventStore store, long? from, int? limit, CancellationToken cancellationToken) =>
        {
            if (from is < 1 || limit is < 1 or > MaxPage)
            {
                return Results.Problem($"from must be at least 1 and limit between 1 and {MaxPage}.", statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Ok(await store.ReadAllAsync(from ?? 1, cancellationToken).Take(limit ?? MaxPage).ToListAsync(cancellationToken));
        }).RequireAuthorization(ApiPolicies.Read);
        return api;
    }
}
