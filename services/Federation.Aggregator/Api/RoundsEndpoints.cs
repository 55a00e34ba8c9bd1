using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Audit.Registry;
using Federation.Contracts.Api;
using Federation.Contracts.Tasks;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Hosting;
using Federation.Coordination.Rounds;
using Federation.Coordination.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>
/// Rounds of a task (query parameter <c>task</c>, task <see cref="TaskIds.Default"/> when absent): list and read them
/// (auditors and operators), open and abort them (operators). An unknown task is a 404 naming it.
/// </summary>
public static class RoundsEndpoints
{
    /// <summary>Maps <c>/api/rounds</c>.</summary>
    public static IEndpointRouteBuilder MapRounds(this IEndpointRouteBuilder api)
    {
        var rounds = api.MapGroup("/rounds");
        rounds.MapGet("/", async (string? task, TaskRegistry tasks, EventHistory history, CancellationToken cancellationToken) =>
            await UnknownTaskAsync(tasks, task, cancellationToken)
                ?? Results.Ok(await RoundSummaries.ReadAsync(history, task ?? TaskIds.Default, cancellationToken)))
            .RequireAuthorization(ApiPolicies.Read);

        rounds.MapGet("/{round:int}", async (int round, string? task, TaskRegistry tasks, EventHistory history, CancellationToken cancellationToken) =>
            await UnknownTaskAsync(tasks, task, cancellationToken)
                ?? (await RoundDetailsQuery.ReadAsync(history, task ?? TaskIds.Default, round, cancellationToken) is { } details
                    ? Results.Ok(details)
                    : Results.Problem($"Round {round} of task '{task ?? TaskIds.Default}' does not exist.", statusCode: StatusCodes.Status404NotFound)))
            .RequireAuthorization(ApiPolicies.Read);

        rounds.MapPost("/", OpenAsync).RequireAuthorization(ApiPolicies.Operate);

        rounds.MapPost("/{round:int}/abort", async (int round, string? task, TaskRounds taskRounds, CancellationToken cancellationToken) =>
        {
            if (await taskRounds.FindAsync(task ?? TaskIds.Default, cancellationToken) is not { } coordinator)
            {
                return UnknownTask(task!);
            }

            return await coordinator.AbortAsync(round, cancellationToken) is { } closed
                ? Results.Ok(closed)
                : round > (coordinator.LatestRound?.Round ?? 0)
                    ? Results.Problem($"Round {round} of task '{coordinator.TaskId}' does not exist.", statusCode: StatusCodes.Status404NotFound)
                    : Results.Problem($"Round {round} of task '{coordinator.TaskId}' is not the open round.", statusCode: StatusCodes.Status409Conflict);
        }).RequireAuthorization(ApiPolicies.Operate);
        return api;
    }

    /// <summary>
    /// Opens the next round of the task on the task's own plan (the settings' plan for task default), overridden by
    /// the request; invites the request's gateways, else the task's, else every gateway with a valid key.
    /// </summary>
    private static async Task<IResult> OpenAsync(
        OpenRoundRequest request, string? task, TaskRounds taskRounds, TaskRegistry tasks, GatewayKeys keys, AggregatorOptions options, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var id = task ?? TaskIds.Default;
        var catalog = await tasks.CatalogAsync(cancellationToken);
        if (catalog.Find(id) is not { } record || await taskRounds.FindAsync(id, cancellationToken) is not { } coordinator)
        {
            return UnknownTask(id);
        }

        if (TaskDecisions.WhyNoRound(catalog, id) is { } refused)
        {
            return Results.Problem(refused, statusCode: StatusCodes.Status409Conflict);
        }

        var plan = request.ToPlan(id == TaskIds.Default ? options.Rounds : RoundPlan.FromTaskPlan(record.Created.RoundPlan));
        var invited = request.Invited ?? (record.Created.Invited.Count > 0 ? record.Created.Invited : null);
        var invitable = invited?.Distinct().Count() ?? (await keys.RegistryAsync(cancellationToken)).ActiveIds(clock.GetUtcNow()).Count;
        if (plan.RoundPlanProblem(invitable) is { } problem)
        {
            return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            return await coordinator.OpenRoundAsync(plan, invited, cancellationToken) is { } opened
                ? Results.Created(id == TaskIds.Default ? $"/api/rounds/{opened.Round}" : $"/api/rounds/{opened.Round}?task={id}", opened)
                : Results.Problem($"Round {coordinator.LatestRound?.Round} of task '{id}' is still open; abort it or wait for it to close.", statusCode: StatusCodes.Status409Conflict);
        }
        catch (ArgumentException error)
        {
            return Results.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static async Task<IResult?> UnknownTaskAsync(TaskRegistry tasks, string? task, CancellationToken cancellationToken) =>
        task is null || (await tasks.CatalogAsync(cancellationToken)).Find(task) is not null ? null : UnknownTask(task);

    private static IResult UnknownTask(string task) =>
        Results.Problem($"Task '{task}' does not exist (fedctl tasks ls lists them).", statusCode: StatusCodes.Status404NotFound);
}
