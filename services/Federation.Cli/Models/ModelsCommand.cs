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
    /// <summary>Runs a models subcommand; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandArguments arguments, AggregatorClient client, IAnsiConsole console)
    {
        switch (arguments.Positional(0))
        {
            case "ls":
                var table = new Table().AddColumns("Version", "SHA-256", "Round", "Strategy", "Contributions", "Published");
                foreach (var model in await client.GetAsync<List<ModelVersionPublished>>("/api/models"))
                {
                    table.AddRow($"v{model.Version}", model.ModelSha256, model.Round?.ToString(CultureInfo.InvariantCulture) ?? "-", model.Strategy,
                        model.Contributions.Count.ToString(CultureInfo.InvariantCulture), model.PublishedAt.ToString("u"));
                }

                console.Write(table);
                return 0;
            case "pull":
                return await PullAsync(arguments, client, console);
            case "metrics":
                ShowMetrics(await client.GetAsync<ModelMetrics>($"/api/models/{arguments.PositionalNumber(1, "the model version")}/metrics"), console);
                return 0;
            default:
                throw new CommandLineException("usage: fedctl models ls | pull VERSION [--out FILE] | metrics VERSION");
        }
    }

    private static async Task<int> PullAsync(CommandArguments arguments, AggregatorClient client, IAnsiConsole console)
    {
        var version = arguments.PositionalNumber(1, "the model version");
        var published = await client.GetAsync<ModelVersionPublished>($"/api/models/{version}");
        var (bytes, _) = await client.GetBytesAsync($"/api/models/{version}/safetensors");
        var actual = Sha256Hex.Of(bytes);
        if (actual != published.ModelSha256)
        {
            console.MarkupLineInterpolated($"[red]Downloaded bytes hash to {actual}, but the registry records v{version} as {published.ModelSha256}; not saving them.[/]");
            return 1;
        }

        var path = Path.GetFullPath(arguments.Text("out", $"model-v{version}.safetensors"));
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
