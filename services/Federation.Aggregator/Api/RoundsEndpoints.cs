using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Audit.Registry;
using Federation.Contracts.Api;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Rounds;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>Rounds: list and read them (auditors and operators), open and abort them (operators).</summary>
public static class RoundsEndpoints
{
    /// <summary>Maps <c>/api/rounds</c>.</summary>
    public static IEndpointRouteBuilder MapRounds(this IEndpointRouteBuilder api)
    {
        var rounds = api.MapGroup("/rounds");
        rounds.MapGet("/", async (EventHistory history, CancellationToken cancellationToken) =>
            Results.Ok(await RoundSummaries.ReadAsync(history, cancellationToken)))
            .RequireAuthorization(ApiPolicies.Read);

        rounds.MapGet("/{round:int}", async (int round, EventHistory history, CancellationToken cancellationToken) =>
            await RoundDetailsQuery.ReadAsync(history, round, cancellationToken) is { } details
                ? Results.Ok(details)
                : Results.Problem($"Round {round} does not exist.", statusCode: StatusCodes.Status404NotFound))
            .RequireAuthorization(ApiPolicies.Read);

        rounds.MapPost("/", async (OpenRoundRequest request, RoundCoordinator coordinator, GatewayKeys keys, AggregatorOptions options, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var plan = request.ToPlan(options.Rounds);
            var invitable = request.Invited?.Distinct().Count() ?? (await keys.RegistryAsync(cancellationToken)).ActiveIds(clock.GetUtcNow()).Count;
            if (plan.RoundPlanProblem(invitable) is { } problem)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
            }

            try
            {
                return await coordinator.OpenRoundAsync(plan, request.Invited, cancellationToken) is { } opened
                    ? Results.Created($"/api/rounds/{opened.Round}", opened)
                    : Results.Problem($"Round {coordinator.LatestRound?.Round} is still open; abort it or wait for it to close.", statusCode: StatusCodes.Status409Conflict);
            }
            catch (ArgumentException error)
            {
                return Results.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest);
            }
        }).RequireAuthorization(ApiPolicies.Operate);

        rounds.MapPost("/{round:int}/abort", async (int round, RoundCoordinator coordinator, CancellationToken cancellationToken) =>
            await coordinator.AbortAsync(round, cancellationToken) is { } closed
                ? Results.Ok(closed)
                : round > (coordinator.LatestRound?.Round ?? 0)
                    ? Results.Problem($"Round {round} does not exist.", statusCode: StatusCodes.Status404NotFound)
                    : Results.Problem($"Round {round} is not the open round.", statusCode: StatusCodes.Status409Conflict))
            .RequireAuthorization(ApiPolicies.Operate);
        return api;
    }
}
