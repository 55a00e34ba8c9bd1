using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Spectre.Console;

namespace Federation.Cli.Tasks;

/// <summary><c>fedctl tasks ls|show|create|pause|resume|retire</c>: the model team's federated jobs, through the aggregator's API.</summary>
public static class TasksCommand
{
    /// <summary>Builds <c>fedctl tasks</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var console = context.Console;
        var ls = new Command("ls", "every task: status, initial model, latest version, who created it");
        api.AddTo(ls);
        ls.SetAction(async parsed =>
        {
            console.Write(Table(await api.Client(parsed).GetAsync<List<TaskSummary>>("/api/tasks")));
            return 0;
        });

        var shown = TaskArgument();
        var show = new Command("show", "one task: its plans, release gate and initial model") { shown };
        api.AddTo(show);
        show.SetAction(async parsed =>
        {
            Show(await api.Client(parsed).GetAsync<TaskSummary>($"/api/tasks/{parsed.GetValue(shown)}"), console);
            return 0;
        });

        return new Command("tasks", "the model team's federated jobs, each with its own model lineage")
        {
            ls, show, CreateCommand(context, api),
            Change(context, api, "pause", "pause a task: no round of it opens until it is resumed", needsReason: true),
            Change(context, api, "resume", "resume a paused task", needsReason: false),
            Change(context, api, "retire", "retire a task for good", needsReason: true),
        };
    }

    private static Argument<string> TaskArgument() => new("TASK") { Description = "the task id" };

    private static Command CreateCommand(FedctlContext context, ApiOptions api)
    {
        var id = TaskArgument();
        var model = CommonOptions.Text("--model", "FILE", "the initial model: a safetensors file of F32, F16 or BF16 tensors", required: true);
        var description = CommonOptions.Text("--description", "TEXT", "what the task learns");
        var strategy = CommonOptions.Text("--strategy", "NAME", "the default aggregation strategy of its rounds");
        var parameters = StrategyArguments.Option();
        var min = CommonOptions.WholeNumber("--min", "N", "aggregate once at least N invited gateways have contributed");
        var duration = CommonOptions.Real("--duration", "SECONDS", "how long each round stays open");
        var invite = CommonOptions.Text("--invite", "ID,ID", "the gateways invited (comma-separated ids; default every enrolled gateway)");
        var epochs = CommonOptions.WholeNumber("--epochs", "N", "local training epochs per gateway");
        var learningRate = CommonOptions.Real("--lr", "X", "local learning rate");
        var maxNorm = CommonOptions.Real("--max-norm", "X", "refuse updates whose L2 norm is above X");
        var metrics = CommonOptions.Text("--metrics", "NAME,NAME", "the metrics its evaluations report");
        var gate = CommonOptions.Text("--gate", "FILE", "its release gate: a JSON file {\"thresholds\":[{\"metric\":…,\"slice\":…,\"minimum\":…}],\"minReports\":N}");
        var rounds = CommonOptions.WholeNumber("--rounds", "N", "rounds the aggregator runs by itself, one after another (default 0: rounds open only with fedctl rounds open --task)");
        var create = new Command("create", "create a task from your own initial model")
        {
            id, model, description, strategy, parameters, min, duration, invite, epochs, learningRate, maxNorm, metrics, gate, rounds,
        };
        api.AddTo(create);
        create.SetAction(async parsed =>
        {
            var modelPath = parsed.GetValue(model)!;
            if (!File.Exists(modelPath))
            {
                throw new CommandFailedException($"The initial model {modelPath} does not exist.");
            }

            var request = new CreateTaskRequest(
                parsed.GetValue(id)!,
                parsed.GetValue(description) ?? "",
                new OpenRoundRequest(
                    Strategy: parsed.GetValue(strategy),
                    StrategyParameters: parsed.GetValue(parameters) is { Count: > 0 } given ? given : null,
                    MinParticipants: parsed.GetValue(min),
                    DurationSeconds: parsed.GetValue(duration),
                    Invited: parsed.GetValue(invite)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
                    Epochs: parsed.GetValue(epochs),
                    LearningRate: parsed.GetValue(learningRate),
                    MaxUpdateNorm: parsed.GetValue(maxNorm)),
                parsed.GetValue(metrics)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
                parsed.GetValue(gate) is { } gatePath ? ReadGate(gatePath) : null,
                parsed.GetValue(rounds));
            var created = await api.Client(parsed).PostFileAsync<TaskCreatedV2>("/api/tasks", "request", request, "model", modelPath);
            context.Console.MarkupLineInterpolated($"Task [bold]{created.Task}[/] created; its version 0 is the model registered as {created.InitialModelSha256} ({created.InitialModelBytes} bytes).");
            context.Console.MarkupLine(created.RoundCount > 0
                ? $"The aggregator runs its {created.RoundCount} round(s) one after another."
                : "Its rounds open when you ask: fedctl rounds open --task " + Markup.Escape(created.Task));
            return 0;
        });
        return create;
    }

    private static ReleaseGate ReadGate(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ReleaseGate>(File.ReadAllText(path), ApiJson.Options)
                ?? throw new CommandFailedException($"The release gate file {path} is empty.");
        }
        catch (Exception error) when (error is JsonException or IOException)
        {
            throw new CommandFailedException($"The release gate file {path} cannot be read: {error.Message}");
        }
    }

    private static Command Change(FedctlContext context, ApiOptions api, string verb, string description, bool needsReason)
    {
        var id = TaskArgument();
        var reason = CommonOptions.Text("--reason", "TEXT", "why, in words an auditor reads later", required: needsReason);
        var command = new Command(verb, description) { id };
        if (needsReason)
        {
            command.Options.Add(reason);
        }

        api.AddTo(command);
        command.SetAction(async parsed =>
        {
            var task = parsed.GetValue(id)!;
            await api.Client(parsed).PostAsync<JsonElement>($"/api/tasks/{task}/{verb}", new TaskChangeRequest(needsReason ? parsed.GetValue(reason) : null));
            context.Console.MarkupLineInterpolated($"Task [bold]{task}[/]: {verb} recorded.");
            return 0;
        });
        return command;
    }

    private static Table Table(IReadOnlyList<TaskSummary> tasks)
    {
        var table = new Table().AddColumns("task", "status", "latest version", "rounds run", "strategy", "initial model", "created by", "created");
        foreach (var task in tasks)
        {
            table.AddRow(
                Markup.Escape(task.Created.Task),
                Markup.Escape(task.Status + (task.StatusReason is { } why ? $" ({why})" : "")),
                task.LatestModelVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                task.RoundCount > 0 ? $"{task.RoundsRun} of {task.RoundCount}" : task.RoundsRun.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(task.Created.RoundPlan.Strategy),
                task.Created.InitialModelSha256[..12],
                Markup.Escape(task.Created.CreatedBy),
                task.Created.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        }

        return table;
    }

    // How many rounds the aggregator runs by itself and how many have run.
    private static string Scheduled(TaskSummary task) =>
        task.RoundCount > 0
            ? $"{task.RoundCount} round(s) by the aggregator, {task.RoundsRun} run"
            : $"rounds open when asked (fedctl rounds open), {task.RoundsRun} run";

    private static void Show(TaskSummary task, IAnsiConsole console)
    {
        var created = task.Created;
        var plan = created.RoundPlan;
        console.MarkupLineInterpolated($"Task [bold]{created.Task}[/]: {created.Description}");
        console.MarkupLineInterpolated($"  status          {task.Status}{(task.StatusReason is { } why ? $" ({why})" : "")}");
        console.MarkupLineInterpolated($"  initial model   {created.InitialModelSha256} ({created.InitialModelBytes} bytes), registered by {created.CreatedBy} at {created.CreatedAt:u}");
        console.MarkupLineInterpolated($"  latest version  {(task.LatestModelVersion?.ToString(CultureInfo.InvariantCulture) ?? "-")}");
        console.MarkupLineInterpolated($"  invited         {(created.Invited.Count == 0 ? "every enrolled gateway" : string.Join(", ", created.Invited))}");
        console.MarkupLineInterpolated($"  scheduled       {Scheduled(task)}");
        console.MarkupLineInterpolated($"  rounds          {plan.Strategy}, quorum {plan.MinParticipants}, {plan.DurationSeconds:0.#} s, {plan.Training.Epochs} epoch(s), lr {plan.Training.LearningRate}, norm bound {(plan.MaxUpdateNorm?.ToString(CultureInfo.InvariantCulture) ?? "none")}");
        console.MarkupLineInterpolated($"  metrics         {(created.Evaluation.Metrics.Count == 0 ? "-" : string.Join(", ", created.Evaluation.Metrics))}");
        if (created.Evaluation.Gate is not { } gate)
        {
            console.MarkupLine("  release gate    none");
            return;
        }

        console.MarkupLineInterpolated($"  release gate    after {gate.MinReports} report(s):");
        foreach (var threshold in gate.Thresholds)
        {
            var bounds = $"{(threshold.Minimum is { } low ? $"≥ {low} " : "")}{(threshold.Maximum is { } high ? $"≤ {high}" : "")}".Trim();
            var scope = threshold.Slice switch
            {
                null => "all data",
                GateThreshold.EverySlice => $"every slice of ≥ {threshold.MinSamples} samples",
                var slice => $"slice {slice}",
            };
            console.MarkupLineInterpolated($"    {threshold.Metric} on {scope}: {bounds}");
        }
    }
}
