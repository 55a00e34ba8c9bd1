using System.Globalization;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Rounds;
using Spectre.Console;

namespace Federation.Cli.Rounds;

/// <summary><c>fedctl rounds ls|show|open|abort</c>: the model team steers rounds through the aggregator's API.</summary>
public static class RoundsCommand
{
    /// <summary>Runs a rounds subcommand; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandArguments arguments, AggregatorClient client, IAnsiConsole console)
    {
        switch (arguments.Positional(0))
        {
            case "ls":
                console.Write(SummaryTable(await client.GetAsync<List<RoundSummary>>("/api/rounds")));
                return 0;
            case "show":
                Show(await client.GetAsync<RoundDetails>($"/api/rounds/{arguments.PositionalNumber(1, "the round number")}"), console);
                return 0;
            case "open":
                var opened = await client.PostAsync<RoundOpened>("/api/rounds", OpenRequest(arguments));
                console.MarkupLineInterpolated($"Round [bold]{opened.Round}[/] opened on model v{opened.BaseModelVersion} with {opened.Strategy}; deadline {opened.Deadline:u}; invited: {string.Join(", ", opened.Invited)}");
                return 0;
            case "abort":
                var closed = await client.PostAsync<RoundClosed>($"/api/rounds/{arguments.PositionalNumber(1, "the round number")}/abort", null);
                console.MarkupLineInterpolated($"Round [bold]{closed.Round}[/] aborted ({closed.AcceptedCount} accepted contributions discarded).");
                return 0;
            default:
                throw new CommandLineException("usage: fedctl rounds ls | show N | open [options] | abort N");
        }
    }

    private static object OpenRequest(CommandArguments arguments) => new
    {
        strategy = arguments.OptionalText("strategy"),
        strategyParameters = arguments.All("param").Count == 0 ? null : StrategyArguments.Parameters(arguments.All("param")),
        minParticipants = arguments.OptionalNumber("min"),
        durationSeconds = arguments.OptionalReal("duration"),
        invited = arguments.OptionalText("invite")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        epochs = arguments.OptionalNumber("epochs"),
        batchSize = arguments.OptionalNumber("batch-size"),
        learningRate = arguments.OptionalReal("lr"),
        proximalMu = arguments.OptionalReal("mu"),
        maxUpdateNorm = arguments.OptionalReal("max-norm"),
    };

    private static Table SummaryTable(IEnumerable<RoundSummary> rounds)
    {
        var table = new Table().AddColumns("Round", "Outcome", "Accepted", "Rejected", "Model", "Local accuracy");
        foreach (var row in rounds)
        {
            table.AddRow(
                row.Round.ToString(CultureInfo.InvariantCulture), row.Outcome?.ToString() ?? "open",
                string.Join(" ", row.AcceptedGateways), row.Rejections.Count.ToString(CultureInfo.InvariantCulture),
                row.ModelVersion is { } version ? $"v{version}" : "-",
                row.LocalAccuracy is { } accuracy ? $"{accuracy:P2} ({row.LocalEvaluations} sites)" : "-");
        }

        return table;
    }

    private static void Show(RoundDetails round, IAnsiConsole console)
    {
        var opened = round.Opened;
        console.MarkupLineInterpolated($"[bold]Round {opened.Round}[/] on model v{opened.BaseModelVersion} ({opened.BaseModelSha256[..12]}…)");
        console.MarkupLineInterpolated($"  strategy {opened.Strategy} {string.Join(" ", opened.StrategyParameters.Select(pair => $"{pair.Key}={pair.Value}"))}, at least {opened.MinParticipants} of {opened.Invited.Count} invited, deadline {opened.Deadline:u}");
        console.MarkupLineInterpolated($"  {(round.Closed is { } closed ? $"closed {closed.ClosedAt:u}: {closed.Outcome}" : "open")}{(round.Model is { } model ? $", produced model v{model.Version} ({model.ModelSha256[..12]}…)" : "")}");

        var contributions = new Table().Title("Contributions").AddColumns("Gateway", "Key", "Outcome", "Samples", "Payload", "Received");
        foreach (var accepted in round.Accepted)
        {
            contributions.AddRow(Cells(accepted.GatewayId, Short(accepted.KeyId), "accepted", accepted.SampleCount.ToString(CultureInfo.InvariantCulture), Short(accepted.PayloadSha256), accepted.ReceivedAt.ToString("u")));
        }

        foreach (var rejected in round.Rejected)
        {
            // Rejected contributions carry whatever the sender claimed: escape it, never parse it as markup.
            contributions.AddRow(Cells(rejected.GatewayId ?? "?", Short(rejected.KeyId), $"rejected: {rejected.Reason}: {rejected.Detail}", "-", Short(rejected.PayloadSha256), rejected.ReceivedAt.ToString("u")));
        }

        console.Write(contributions);
    }

    private static string Short(string? hex) => hex is null ? "?" : hex.Length > 12 ? hex[..12] : hex;

    private static Spectre.Console.Rendering.IRenderable[] Cells(params string[] values) => [.. values.Select(value => new Text(value))];
}
