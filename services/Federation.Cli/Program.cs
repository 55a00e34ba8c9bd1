using Federation.Cli;
using Federation.Cli.Commands;
using Spectre.Console;

// fedctl: the command line for the model team, operators and auditors (Fedctl builds its commands).
if (Console.IsOutputRedirected)
{
    // Piped or logged output has no terminal width; keep each table row on one line.
    AnsiConsole.Profile.Width = 200;
}

return await Fedctl.RunAsync(args, new FedctlContext { Console = AnsiConsole.Console, Output = Console.Out, Error = Console.Error });
