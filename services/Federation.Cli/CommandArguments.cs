namespace Federation.Cli;

/// <summary>The <c>--name value</c> and <c>--flag</c> options after a command.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);

    /// <summary>Parses options; anything that is not <c>--name</c> is an error.</summary>
    public CommandArguments(IEnumerable<string> arguments)
    {
        string? pending = null;
        foreach (var argument in arguments)
        {
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                pending = argument[2..];
                options[pending] = null;
            }
            else if (pending is not null)
            {
                options[pending] = argument;
                pending = null;
            }
            else
            {
                throw new CommandLineException($"Unexpected argument '{argument}'.");
            }
        }
    }

    /// <summary>The value of <c>--name</c>, or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback) => options.GetValueOrDefault(name) ?? fallback;

    /// <summary>The whole-number value of <c>--name</c>, or <paramref name="fallback"/>.</summary>
    public int Number(string name, int fallback) =>
        options.TryGetValue(name, out var value) && value is not null
            ? int.TryParse(value, out var number) && number >= 0 ? number : throw new CommandLineException($"--{name} takes a whole number, not '{value}'.")
            : fallback;

    /// <summary>Whether <c>--name</c> was given.</summary>
    public bool Flag(string name) => options.ContainsKey(name);
}

/// <summary>The command line is wrong; the message says how.</summary>
public sealed class CommandLineException(string message) : Exception(message);
