using System.CommandLine;
using System.Globalization;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Cli.Tasks;
using Federation.Coordination.Rounds;
using Spectre.Console;

namespace Federation.Cli.Rounds;

/// <summary><c>fedctl rounds ls|show|open|abort</c>: the model team steers rounds through the aggregator's API.</summary>
public static class RoundsCommand
{
    /// <summary>Builds <c>fedctl rounds</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var console = context.Console;
        var task = TaskOption.Create();
        var ls = new Command("ls", "every round of the task: outcome, contributions, model, reported accuracy") { task };
        api.AddTo(ls);
        ls.SetAction(async parsed =>
        {
            console.Write(SummaryTable(await api.Client(parsed).GetAsync<List<RoundSummary>>($"/api/rounds{TaskOption.Query(parsed, task)}")));
            return 0;
        });

        var shown = CommonOptions.WholeNumberArgument("N", "the round number");
        var show = new Command("show", "one round: strategy, every contribution accepted or rejected and why") { shown, task };
        api.AddTo(show);
        show.SetAction(async parsed =>
        {
            Show(await api.Client(parsed).GetAsync<RoundDetails>($"/api/rounds/{parsed.GetValue(shown)}{TaskOption.Query(parsed, task)}"), console);
            return 0;
        });

        var aborted = CommonOptions.WholeNumberArgument("N", "the round number");
        var abort = new Command("abort", "abort the open round N of the task") { aborted, task };
        api.AddTo(abort);
        abort.SetAction(async parsed =>
        {
            var closed = await api.Client(parsed).PostAsync<RoundClosed>($"/api/rounds/{parsed.GetValue(aborted)}/abort{TaskOption.Query(parsed, task)}", null);
            console.MarkupLineInterpolated($"Round [bold]{closed.Round}[/] aborted ({closed.AcceptedCount} accepted contributions discarded).");
            return 0;
        });

        return new Command("rounds", "the model team steers rounds through the aggregator's API") { ls, show, Open(context, api, task), abort };
    }

    private static Command Open(FedctlContext context, ApiOptions api, Option<string?> task)
    {
        var strategy = CommonOptions.Text("--strategy", "NAME", "fedavg fedavgm fedprox fedadam fedyogi fedadagrad fedmedian trimmed-mean krum multi-krum bulyan");
        var parameters = StrategyArguments.Option();
        var min = CommonOptions.WholeNumber("--min", "N", "aggregate once at least N invited gateways have contributed");
        var duration = CommonOptions.Real("--duration", "SECONDS", "how long the round stays open");
        var invite = CommonOptions.Text("--invite", "ID,ID", "the gateways invited (comma-separated ids)");
        var epochs = CommonOptions.WholeNumber("--epochs", "N", "local training epochs per gateway");
        var batchSize = CommonOptions.WholeNumber("--batch-size", "N", "local mini-batch size");
        var learningRate = CommonOptions.Real("--lr", "X", "local learning rate");
        var mu = CommonOptions.Real("--mu", "X", "FedProx proximal term mu");
        var maxNorm = CommonOptions.Real("--max-norm", "X", "refuse updates whose L2 norm is above X");
        var open = new Command("open", "open the next round of the task; options override the task's round plan")
        {
            strategy, parameters, min, duration, invite, epochs, batchSize, learningRate, mu, maxNorm, task,
        };
        api.AddTo(open);
        open.SetAction(async parsed =>
        {
            var request = new
            {
                strategy = parsed.GetValue(strategy),
                strategyParameters = parsed.GetValue(parameters) is { Count: > 0 } given ? given : null,
                minParticipants = parsed.GetValue(min),
                durationSeconds = parsed.GetValue(duration),
                invited = parsed.GetValue(invite)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                epochs = parsed.GetValue(epochs),
                batchSize = parsed.GetValue(batchSize),
                learningRate = parsed.GetValue(learningRate),
                proximalMu = parsed.GetValue(mu),
                maxUpdateNorm = parsed.GetValue(maxNorm),
            };
            var opened = await api.Client(parsed).PostAsync<RoundOpened>($"/api/rounds{TaskOption.Query(parsed, task)}", request);
            context.Console.MarkupLineInterpolated($"Round [bold]{opened.Round}[/] opened on model v{opened.BaseModelVersion} with {opened.Strategy}; deadline {opened.Deadline:u}; invited: {string.Join(", ", opened.Invited)}");
            return 0;
        });
        return open;
    }

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
