using Federation.Gateway.State;
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
            null => throw new CommandLineException("Missing gateway subcommand: decisions."),
            var other => throw new CommandLineException($"Unknown gateway subcommand '{other}'; use decisions."),
        });
    }

    private static int Decisions(CommandArguments arguments, IAnsiConsole console)
    {
        var directory = arguments.OptionalText("state") ?? throw new CommandLineException("gateway decisions needs --state DIR (the gateway's Gateway:StateDirectory).");
        GatewayState state;
        try
        {
            state = GatewayState.OpenExisting(directory);
        }
        catch (FileNotFoundException error)
        {
            throw new CommandFailedException(error.Message);
        }

        var deniedOnly = arguments.Flag("denied");
        var decisions = state.Decisions(deniedOnly);
        var table = new Table()
            .Title($"{(deniedOnly ? "Refusals" : "Decisions")} of the gateway in {state.Directory}, newest first")
            .AddColumns("#", "Decided (UTC)", "Kind", "About", "Outcome", "Policy", "Sequence", "Reason or what left");
        foreach (var decision in decisions)
        {
            table.AddRow(
                decision.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                decision.DecidedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
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
}
