using Federation.Site.State;
using Spectre.Console;

namespace Federation.Cli.Gateway;

/// <summary><c>fedctl gateway</c>: reads a gateway's own state folder, on the gateway's box, without the aggregator.</summary>
public static class GatewayCommand
{
    /// <summary>Runs the subcommand; returns the process exit code.</summary>
    public static Task<int> RunAsync(CommandArguments arguments, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return Task.FromResult(arguments.Positional(0) switch
        {
            "decisions" => Decisions(arguments, console),
            "outbox" => Outbox(arguments, console),
            null => throw new CommandLineException("Missing gateway subcommand: decisions or outbox."),
            var other => throw new CommandLineException($"Unknown gateway subcommand '{other}'; use decisions or outbox."),
        });
    }

    private static int Decisions(CommandArguments arguments, IAnsiConsole console)
    {
        var state = State(arguments, "decisions");
        var deniedOnly = arguments.Flag("denied");
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
    private static int Outbox(CommandArguments arguments, IAnsiConsole console)
    {
        var state = State(arguments, "outbox");
        var entries = state.OutboxHistory();
        if (arguments.OptionalText("show") is { } shown)
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

    private static GatewayState State(CommandArguments arguments, string subcommand)
    {
        var directory = arguments.OptionalText("state") ?? throw new CommandLineException($"gateway {subcommand} needs --state DIR (the gateway's Gateway:StateDirectory).");
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
