using System.CommandLine;
using System.Globalization;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Evaluations;
using Federation.Trust;
using Spectre.Console;

namespace Federation.Cli.Models;

/// <summary><c>fedctl models ls|pull|metrics</c>: the model registry.</summary>
public static class ModelsCommand
{
    /// <summary>Builds <c>fedctl models</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var console = context.Console;
        var ls = new Command("ls", "every model version with its provenance summary");
        api.AddTo(ls);
        ls.SetAction(async parsed =>
        {
            var table = new Table().AddColumns("Version", "SHA-256", "Round", "Strategy", "Contributions", "Published");
            foreach (var model in await api.Client(parsed).GetAsync<List<ModelVersionPublished>>("/api/models"))
            {
                table.AddRow($"v{model.Version}", model.ModelSha256, model.Round?.ToString(CultureInfo.InvariantCulture) ?? "-", model.Strategy,
                    model.Contributions.Count.ToString(CultureInfo.InvariantCulture), model.PublishedAt.ToString("u"));
            }

            console.Write(table);
            return 0;
        });

        var pulled = CommonOptions.WholeNumberArgument("V", "the model version");
        var output = CommonOptions.Text("--out", "FILE", "where to save it (default: model-vV.safetensors)");
        var pull = new Command("pull", "download version V and check it against its recorded SHA-256") { pulled, output };
        api.AddTo(pull);
        pull.SetAction(parsed => PullAsync(parsed.GetValue(pulled), parsed.GetValue(output), api.Client(parsed), context));

        var measured = CommonOptions.WholeNumberArgument("V", "the model version");
        var metrics = new Command("metrics", "evaluation of version V: weighted over gateways, per slice, per gateway") { measured };
        api.AddTo(metrics);
        metrics.SetAction(async parsed =>
        {
            ShowMetrics(await api.Client(parsed).GetAsync<ModelMetrics>($"/api/models/{parsed.GetValue(measured)}/metrics"), console);
            return 0;
        });

        return new Command("models", "the model registry") { ls, pull, metrics };
    }

    private static async Task<int> PullAsync(int version, string? output, AggregatorClient client, FedctlContext context)
    {
        var console = context.Console;
        var published = await client.GetAsync<ModelVersionPublished>($"/api/models/{version}");
        var progress = new ProgressLines(context.Error, "downloaded", "bytes");
        var bytes = await client.DownloadAsync($"/api/models/{version}/safetensors", (done, total) => progress.Report(done, total ?? published.ModelBytes));
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
    }
}
