using System.Security.Claims;
using System.Text.Json;
using Federation.Audit.History;
using Federation.Audit.Tasks;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Coordination.Hosting;
using Federation.Coordination.Rounds;
using Federation.Coordination.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Federation.Aggregator.Api;

/// <summary>Tasks: list and read them (auditors and operators); create, pause, resume and retire them (operators).</summary>
public static class TasksEndpoints
{
    /// <summary>Maps <c>/api/tasks</c>.</summary>
    public static IEndpointRouteBuilder MapTasks(this IEndpointRouteBuilder api)
    {
        var tasks = api.MapGroup("/tasks");
        tasks.MapGet("/", async (TaskRegistry registry, EventHistory history, TaskRounds rounds, AggregatorOptions options, CancellationToken cancellationToken) =>
        {
            var summaries = new List<TaskSummary>();
            foreach (var task in (await registry.CatalogAsync(cancellationToken)).Tasks.Values)
            {
                summaries.Add(await SummaryAsync(task, history, rounds, options, cancellationToken));
            }

            return Results.Ok(summaries);
        }).RequireAuthorization(ApiPolicies.Read);

        tasks.MapGet("/{task}", async (string task, TaskRegistry registry, EventHistory history, TaskRounds rounds, AggregatorOptions options, CancellationToken cancellationToken) =>
            (await registry.CatalogAsync(cancellationToken)).Find(task) is { } found
                ? Results.Ok(await SummaryAsync(found, history, rounds, options, cancellationToken))
                : NotFound(task))
            .RequireAuthorization(ApiPolicies.Read);

        tasks.MapPost("/", CreateAsync).RequireAuthorization(ApiPolicies.Operate);

        tasks.MapPost("/{task}/pause", (string task, TaskChangeRequest request, TaskRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            RefusedAsBadRequest(async () => Results.Ok(await registry.PauseAsync(task, request.Reason ?? "", OperatorName(user), cancellationToken))))
            .RequireAuthorization(ApiPolicies.Operate);
        tasks.MapPost("/{task}/resume", (string task, TaskRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            RefusedAsBadRequest(async () => Results.Ok(await registry.ResumeAsync(task, OperatorName(user), cancellationToken))))
            .RequireAuthorization(ApiPolicies.Operate);
        tasks.MapPost("/{task}/retire", (string task, TaskChangeRequest request, TaskRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            RefusedAsBadRequest(async () => Results.Ok(await registry.RetireAsync(task, request.Reason ?? "", OperatorName(user), cancellationToken))))
            .RequireAuthorization(ApiPolicies.Operate);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpRequest http, TaskRegistry registry, AggregatorOptions options, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        // A model team's model may be far larger than Kestrel's default body limit; InitialModel sets the real bound.
        if (http.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = InitialModel.MaxBytes + MaxRequestPartBytes;
        }

        http.HttpContext.Features.Set<IFormFeature>(new FormFeature(http, new FormOptions { MultipartBodyLengthLimit = InitialModel.MaxBytes + MaxRequestPartBytes }));
        if (!http.HasFormContentType)
        {
            return BadRequest("Send a multipart form: a part 'request' (JSON, CreateTaskRequest) and a part 'model' (the initial model's safetensors file).");
        }

        var form = await http.ReadFormAsync(cancellationToken);
        if (form.Files.GetFile("model") is not { } model)
        {
            return BadRequest("The form has no part 'model': attach the initial model's safetensors file.");
        }

        CreateTaskRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<CreateTaskRequest>(form["request"].ToString(), ApiJson.Options);
        }
        catch (JsonException error)
        {
            return BadRequest($"The form's part 'request' is not a valid CreateTaskRequest: {error.Message}");
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Task))
        {
            return BadRequest("The form's part 'request' must name the task ('task').");
        }

        var bytes = new byte[model.Length];
        await using (var stream = model.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        var round = (request.Round ?? new OpenRoundRequest()).ToPlan(options.Rounds);
        var creation = new TaskCreation(
            request.Task, request.Description ?? "", model.FileName, bytes, request.Round?.Invited ?? [],
            round.ToTaskPlan(), new TaskEvaluationPlan(request.Metrics ?? [], request.Gate), request.Rounds ?? 0);
        return await RefusedAsBadRequest(async () =>
        {
            var created = await registry.CreateAsync(creation, OperatorName(user), cancellationToken);
            return Results.Created($"/api/tasks/{created.Task}", created);
        });
    }

    // Room for the form's boundaries and its JSON part.
    private const long MaxRequestPartBytes = 1 << 20;

    private static async Task<TaskSummary> SummaryAsync(
        TaskRecord task, EventHistory history, TaskRounds rounds, AggregatorOptions options, CancellationToken cancellationToken)
    {
        var latest = await history.ReadStreamAsync(EventStreams.Models(task.Id), cancellationToken)
            .Select(entry => entry.Event).OfType<ModelVersionPublished>().LastOrDefaultAsync(cancellationToken);
        var run = (await rounds.FindAsync(task.Id, cancellationToken))?.RoundsClosed ?? 0;
        // The configured job's count is the setting the scheduler follows, which may have changed since it was recorded.
        var count = task.Id == TaskIds.Default ? options.Rounds.Count : task.Created.RoundCount;
        return new TaskSummary(task.Created, task.Status.ToString(), task.StatusReason, latest?.Version, count, run);
    }

    private static async Task<IResult> RefusedAsBadRequest(Func<Task<IResult>> decide)
    {
        try
        {
            return await decide();
        }
        catch (TaskRefusedException refused)
        {
            return BadRequest(refused.Message);
        }
    }

    private static string OperatorName(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    private static IResult BadRequest(string message) => Results.Problem(message, statusCode: StatusCodes.Status400BadRequest);

    private static IResult NotFound(string task) =>
        Results.Problem($"Task '{task}' does not exist (fedctl tasks ls lists them).", statusCode: StatusCodes.Status404NotFound);
}
