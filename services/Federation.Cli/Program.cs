using Federation.Cli;
using Federation.Cli.Demo;
using Federation.Cli.Events;
using Spectre.Console;

// fedctl: the command line for the model team, operators and auditors.
if (Console.IsOutputRedirected)
{
    // Piped or logged output has no terminal width; keep each table row on one line.
    AnsiConsole.Profile.Width = 200;
}

var arguments = new CommandArguments(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "demo" => await DemoCommand.RunAsync(DemoSettings.From(arguments)),
        "events" => await EventsCommand.RunAsync(arguments),
        null or "help" or "--help" or "-h" => Usage(0),
        var unknown => Usage(2, $"Unknown command '{unknown}'."),
    };
}
catch (CommandLineException error)
{
    return Usage(2, error.Message);
}

static int Usage(int exitCode, string? problem = null)
{
    if (problem is not null)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{problem}[/]");
    }

    Console.WriteLine("""
        usage: fedctl <command> [options]

          demo     run a whole federation on this machine (in-memory bus, SQLite store)
                   --data DIR      where to keep the event history and payloads (default: data/demo; emptied first)
                   --rounds N      rounds to run (default: 10)
                   --model KIND    logistic-regression (default) or mlp
          events   list the event history of a data folder
                   --data DIR      the folder a demo or aggregator wrote (default: data/demo)
                   --from N        start at global position N (default: 1)
                   --json          print each event's stored JSON
        """);
    return exitCode;
}
