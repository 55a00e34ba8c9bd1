using System.CommandLine;
using Federation.Site.State;
using Spectre.Console;

namespace Federation.Cli.Gateway;

/// <summary><c>fedctl gateway</c>: reads a gateway's own state folder, on the gateway's box, without the aggregator.</summary>
public static class GatewayCommand
{
    /// <summary>Builds <c>fedctl gateway</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var decisionsState = CommonOptions.State();
        var denied = CommonOptions.Flag("--denied", "only the refusals, each with the check that failed");
        var decisions = new Command("decisions", "every release decision, newest first: what left (signed document, message id) or why not") { decisionsState, denied };
        decisions.SetAction(parsed => Decisions(State(parsed.GetValue(decisionsState)!), parsed.GetValue(denied), context.Console));

        var outboxState = CommonOptions.State();
        var shown = CommonOptions.Text("--show", "MESSAGE_ID", "print one message's signed manifest or report exactly as it left (a unique prefix of its id will do)");
        var outbox = new Command("outbox", "every signed message let out, oldest first: written, sent (or waiting, failed attempts)") { outboxState, shown };
        outbox.SetAction(parsed => Outbox(State(parsed.GetValue(outboxState)!), parsed.GetValue(shown), context.Console));

        return new Command("gateway", "read a gateway's own state folder on its box (no aggregator, no token)") { decisions, outbox };
    }

    private static int Decisions(GatewayState state, bool deniedOnly, IAnsiConsole console)
    {
        var decisions = state.Decisions(deniedOnly);
        var table = new Table()
            .Title($"{(deniedOnly ? "Refusals" : "Decisions")} of the gateway in {state.Directory}, newest first")
            .AddColumns("#", "Decided (UTC)", "Kind", "About", "Outcome", "Policy", "Sequence", "Reason or what left");
        foreach (var decision in decisions)
        {
            table.AddRow(
                decision.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Time(decision.DecidedAt),
                decision.Kind,
                Markup.Escape(decision.Subject),
                decision.Allowed ? "[green]allowed[/]" : "[red]denied[/]",
                Markup.Escape($"{decision.PolicyId} v{decision.PolicyVersion} {decision.PolicySha256[..12]}…"),
                decision.Sequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(decision.Allowed
                    ? $"signed {decision.DocumentSha256?[..12]}…, message {decision.MessageId}"
                    : $"{decision.Checks.LastOrDefault()?.Name}: {decision.Reason}"));
        }

        console.Write(table);
        console.MarkupLine($"{decisions.Count} {(deniedOnly ? "refusals" : "decisions")}.");
        return 0;
    }

    /// <summary>
    /// Every signed message the gateway let out, oldest first: when it was written, whether the bus confirmed it, and
    /// with <c>--show ID</c> the signed document itself, byte for byte as it left.
    /// </summary>
    private static int Outbox(GatewayState state, string? shown, IAnsiConsole console)
    {
        var entries = state.OutboxHistory();
        if (shown is not null)
        {
            var entry = entries.FirstOrDefault(candidate => candidate.MessageId.ToString().StartsWith(shown, StringComparison.OrdinalIgnoreCase))
                ?? throw new CommandFailedException($"No outbox entry with message id {shown} in {state.Directory}.");
            console.MarkupLine(Markup.Escape($"{entry.Kind} {entry.MessageId} (decision {entry.DecisionId}), payload {entry.PayloadBytes} bytes; the signed document:"));
            console.Profile.Out.Writer.WriteLine(entry.Document);
            return 0;
        }

        var table = new Table()
            .Title($"Outbox of the gateway in {state.Directory}, oldest first")
            .AddColumns("Written (UTC)", "Kind", "Message id", "Decision", "Payload bytes", "Sent (UTC)", "Failed attempts");
        foreach (var entry in entries)
        {
            table.AddRow(
                Time(entry.CreatedAt),
                entry.Kind,
                entry.MessageId.ToString(),
                entry.DecisionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                entry.PayloadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                entry.SentAt is { } sent ? Time(sent) : "[yellow]waiting[/]",
                Markup.Escape(entry.Attempts == 0 ? "0" : $"{entry.Attempts}, last: {entry.LastError}"));
        }

        console.Write(table);
        console.MarkupLine($"{entries.Count} messages, {entries.Count(entry => entry.SentAt is null)} waiting. The signed document of one: --show MESSAGE_ID.");
        return 0;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static GatewayState State(string directory)
    {
        try
        {
            return GatewayState.OpenExisting(directory);
        }
        catch (FileNotFoundException error)
        {
            throw new CommandFailedException(error.Message);
        }
    }
}
