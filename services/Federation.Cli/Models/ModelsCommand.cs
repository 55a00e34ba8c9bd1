using System.CommandLine;
using System.Globalization;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Evaluations;
using Federation.Trust;
using Spectre.Console;

namespace Federation.Cli.Models;

/// <summary><c>fedctl models ls|pull|metrics|release</c>: the model registry of a task (<c>--task</c>, default task <c>default</c>).</summary>
public static class ModelsCommand
{
    /// <summary>Builds <c>fedctl models</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var console = context.Console;
        var task = TaskOption();
        var ls = new Command("ls", "every model version with its provenance summary and release status") { task };
        api.AddTo(ls);
        ls.SetAction(async parsed =>
        {
            console.Write(Table(await api.Client(parsed).GetAsync<List<ModelVersionListing>>($"/api/models{Query(parsed.GetValue(task))}")));
            return 0;
        });

        var pulled = CommonOptions.WholeNumberArgument("V", "the model version");
        var output = CommonOptions.Text("--out", "FILE", "where to save it (default: model-vV.safetensors)");
        var pull = new Command("pull", "download version V and check it against its recorded SHA-256") { pulled, output, task };
        api.AddTo(pull);
        pull.SetAction(parsed => PullAsync(parsed.GetValue(pulled), Query(parsed.GetValue(task)), parsed.GetValue(output), api.Client(parsed), context));

        var measured = CommonOptions.WholeNumberArgument("V", "the model version");
        var metrics = new Command("metrics", "evaluation of version V: weighted over gateways, per slice, per gateway") { measured, task };
        api.AddTo(metrics);
        metrics.SetAction(async parsed =>
        {
            ShowMetrics(await api.Client(parsed).GetAsync<ModelMetrics>($"/api/models/{parsed.GetValue(measured)}/metrics{Query(parsed.GetValue(task))}"), console);
            return 0;
        });

        return new Command("models", "the model registry of a task") { ls, pull, metrics, ReleaseCommand(context, api, task) };
    }

    private static Option<string?> TaskOption() => CommonOptions.Text("--task", "TASK", "the task (default: default)");

    private static string Query(string? task) => task is null ? "" : $"?task={Uri.EscapeDataString(task)}";

    private static Command ReleaseCommand(FedctlContext context, ApiOptions api, Option<string?> task)
    {
        var version = CommonOptions.WholeNumberArgument("V", "the held model version");
        var reason = CommonOptions.Text("--reason", "TEXT", "why it is released although its gate held it, in words an auditor reads later", required: true);
        var release = new Command("release", "release version V, which its task's release gate held, on your word and reason") { version, task, reason };
        api.AddTo(release);
        release.SetAction(async parsed =>
        {
            var released = await api.Client(parsed).PostAsync<ModelVersionReleased>(
                $"/api/models/{parsed.GetValue(version)}/release{Query(parsed.GetValue(task))}", new ModelReleaseRequest(parsed.GetValue(reason)));
            context.Console.MarkupLineInterpolated($"Model v{released.Version} of task [bold]{released.Task}[/] released by {released.ReleasedBy}: {released.Reason}");
            return 0;
        });
        return release;
    }

    private static Table Table(IEnumerable<ModelVersionListing> models)
    {
        var table = new Table().AddColumns("Version", "SHA-256", "Round", "Strategy", "Contributions", "Published", "Release");
        foreach (var model in models)
        {
            table.AddRow($"v{model.Version}", model.ModelSha256, model.Round?.ToString(CultureInfo.InvariantCulture) ?? "-", Markup.Escape(model.Strategy),
                model.Contributions.Count.ToString(CultureInfo.InvariantCulture), model.PublishedAt.ToString("u"), Markup.Escape(ReleaseText(model.Release)));
        }

        return table;
    }

    // An aggregator from before release gates sends no release member.
    private static string ReleaseText(ModelRelease? release) => release switch
    {
        { Status: ReleaseStatus.Released, ReleasedBy: { } by } => $"released by {by}: {release.Reason}",
        { Status: ReleaseStatus.Released } => "released",
        { Status: ReleaseStatus.Held } => $"held: {release.Reason}",
        _ => "—",
    };

    private static async Task<int> PullAsync(int version, string query, string? output, AggregatorClient client, FedctlContext context)
    {
        var console = context.Console;
        var published = await client.GetAsync<ModelVersionPublished>($"/api/models/{version}{query}");
        var progress = new ProgressLines(context.Error, "downloaded", "bytes");
        var bytes = await client.DownloadAsync($"/api/models/{version}/safetensors{query}", (done, total) => progress.Report(done, total ?? published.ModelBytes));
        var actual = Sha256Hex.Of(bytes);
        if (actual != published.ModelSha256)
        {
            console.MarkupLineInterpolated($"[red]Downloaded bytes hash to {actual}, but the registry records v{version} as {published.ModelSha256}; not saving them.[/]");
            return 1;
        }

        var path = Path.GetFullPath(output ?? $"model-v{version}.safetensors");
        await File.WriteAllBytesAsync(path, bytes);
        console.MarkupLineInterpolated($"Saved model v{version} ({bytes.Length} bytes, SHA-256 {actual}, verified) to {path}");
        return 0;
    }

    private static void ShowMetrics(ModelMetrics metrics, IAnsiConsole console)
    {
        var global = new Table().Title($"Model v{metrics.ModelVersion}: all gateways, weighted by samples").AddColumns("Metric", "Slice", "Value", "Samples", "Gateways");
        foreach (var metric in metrics.Global)
        {
            global.AddRow(Markup.Escape(metric.Name), Markup.Escape(metric.Slice ?? "all"), metric.Value.ToString("0.####", CultureInfo.InvariantCulture),
                metric.SampleCount.ToString(CultureInfo.InvariantCulture), metric.Gateways.ToString(CultureInfo.InvariantCulture));
        }

        var perGateway = new Table().Title("Per gateway").AddColumns("Gateway", "Accuracy", "Loss", "Samples");
        foreach (var report in metrics.PerGateway)
        {
            var accuracy = report.Metrics.FirstOrDefault(metric => metric is { Name: "accuracy", Slice: null });
            var loss = report.Metrics.FirstOrDefault(metric => metric is { Name: "loss", Slice: null });
            perGateway.AddRow(Markup.Escape(report.GatewayId), accuracy?.Value.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                loss?.Value.ToString("0.####", CultureInfo.InvariantCulture) ?? "-", accuracy?.SampleCount.ToString(CultureInfo.InvariantCulture) ?? "-");
        }

        console.Write(global);
        console.Write(perGateway);
        if (metrics.DroppedSlices is { Count: > 0 } dropped)
        {
            var slices = new Table().Title("Dropped: fewer samples than the gateway's policy allows to report").AddColumns("Gateway", "Slice");
            foreach (var slice in dropped)
            {
                slices.AddRow(Markup.Escape(slice.GatewayId), Markup.Escape(slice.Slice));
            }

            console.Write(slices);
        }
    }
}
