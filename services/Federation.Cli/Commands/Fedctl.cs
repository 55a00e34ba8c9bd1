using System.CommandLine;
using System.CommandLine.Invocation;
using Federation.Audit;
using Federation.Cli.Audit;
using Federation.Cli.Demo;
using Federation.Cli.Events;
using Federation.Cli.Gateway;
using Federation.Cli.Gateways;
using Federation.Cli.Keys;
using Federation.Cli.Models;
using Federation.Cli.Policy;
using Federation.Cli.Rounds;
using Federation.Cli.Tasks;
using Federation.Cli.Vault;
using Spectre.Console;

// Its own namespace: it refers to every command group, and they all refer to Federation.Cli, so it cannot live there.
namespace Federation.Cli.Commands;

/// <summary>
/// fedctl's command tree, and how a command line becomes an exit code: 0 done, 1 failed (or found something invalid),
/// 2 a usage error: an unknown command or option, a missing or malformed value.
/// </summary>
public static class Fedctl
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The command could not be carried out, or found something invalid.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong; nothing was done.</summary>
    public const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, FedctlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // No @file expansion: an argument is what was typed, as fedctl always read it.
        var parsed = Create(context).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Action is ParseErrorAction parseError)
        {
            // The errors and any "Did you mean" suggestion go to standard error; the help is one --help away and
            // stays out of the standard output that scripts read.
            parseError.ShowHelp = false;
            await parsed.InvokeAsync(new InvocationConfiguration { Output = context.Error, Error = context.Error });
            await context.Error.WriteLineAsync($"See '{Path(parsed.CommandResult.Command)} --help'.");
            return UsageError;
        }

        try
        {
            // No termination handling: the commands take no cancellation token, so Ctrl+C ends fedctl at once, as it always did.
            var invocation = new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return await parsed.InvokeAsync(invocation);
        }
        catch (CommandLineException error)
        {
            await context.Error.WriteLineAsync(error.Message);
            await context.Error.WriteLineAsync($"See '{Path(parsed.CommandResult.Command)} --help'.");
            return UsageError;
        }
        // The audit library reports a bundle or version it cannot use as AuditException; to the user both are a failed command.
        catch (Exception error) when (error is CommandFailedException or AuditException)
        {
            context.Console.MarkupLineInterpolated($"[red]{error.Message}[/]");
            return Failed;
        }
    }

    /// <summary>The whole command tree, writing to and connecting through <paramref name="context"/>.</summary>
    public static RootCommand Create(FedctlContext context)
    {
        var api = new ApiOptions(context);
        var root = new RootCommand(
            "fedctl: the command line for the model team, operators and auditors. demo and events run on this machine; " +
            "gateways, rounds, models and audit talk to a running aggregator (--aggregator, --token), except audit verify " +
            "and --bundle, which are offline; keys, policy, gateway and vault work on a gateway's box, with no aggregator " +
            "and no token. 'fedctl help COMMAND' (or 'fedctl COMMAND --help') documents each command's options.")
        {
            HelpName = "fedctl",
        };
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(EventsCommand.Create(context));
        root.Subcommands.Add(GatewaysCommand.Create(context, api));
        root.Subcommands.Add(TasksCommand.Create(context, api));
        root.Subcommands.Add(RoundsCommand.Create(context, api));
        root.Subcommands.Add(ModelsCommand.Create(context, api));
        root.Subcommands.Add(AuditCommand.Create(context, api));
        root.Subcommands.Add(KeysCommand.Create(context));
        root.Subcommands.Add(PolicyCommand.Create(context));
        root.Subcommands.Add(GatewayCommand.Create(context));
        root.Subcommands.Add(VaultCommand.Create(context));
        root.Subcommands.Add(HelpCommand(root));

        // Plain "fedctl" prints the overview and succeeds, as it always did.
        root.SetAction(parsed => root.Parse(["--help"]).Invoke(parsed.InvocationConfiguration));
        return root;
    }

    /// <summary><c>fedctl help rounds open</c> prints exactly what <c>fedctl rounds open --help</c> prints.</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var words = new Argument<string[]>("command") { Description = "the command to explain, e.g. rounds open", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "show the help of a command, e.g. fedctl help rounds open") { words };
        help.SetAction(parsed =>
        {
            var path = parsed.GetValue(words) ?? [];
            Command command = root;
            foreach (var word in path)
            {
                command = command.Subcommands.FirstOrDefault(sub => sub.Name == word || sub.Aliases.Contains(word))
                    ?? throw new CommandLineException($"'{Path(command)}' has no command '{word}'" +
                        (command.Subcommands.Count == 0 ? "." : $"; it has {string.Join(", ", command.Subcommands.Select(sub => sub.Name))}."));
            }

            return root.Parse([.. path, "--help"]).Invoke(parsed.InvocationConfiguration);
        });
        return help;
    }

    // "fedctl rounds open" for the open command: what to type before --help.
    private static string Path(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command current; symbol = current.Parents.FirstOrDefault())
        {
            names.Add(current is RootCommand ? "fedctl" : current.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
