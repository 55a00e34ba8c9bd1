namespace Federation.Cli;

/// <summary>A command's positional arguments, <c>--name value</c> options (repeatable) and <c>--flag</c> options.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, List<string>> options = new(StringComparer.Ordinal);
    private readonly List<string> positional = [];

    /// <summary>Parses the arguments after the command's name.</summary>
    public CommandArguments(IEnumerable<string> arguments)
    {
        string? pending = null;
        foreach (var argument in arguments)
        {
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                pending = argument[2..];
                options.TryAdd(pending, []);
            }
            else if (pending is not null)
            {
                options[pending].Add(argument);
                pending = null;
            }
            else
            {
                positional.Add(argument);
            }
        }
    }

    /// <summary>The positional argument at <paramref name="index"/>, or null.</summary>
    public string? Positional(int index) => index < positional.Count ? positional[index] : null;

    /// <summary>The required whole-number positional argument at <paramref name="index"/>, called <paramref name="name"/> in errors.</summary>
    public int PositionalNumber(int index, string name) =>
        Positional(index) is { } text
            ? int.TryParse(text, out var number) && number >= 0 ? number : throw new CommandLineException($"{name} must be a whole number, not '{text}'.")
            : throw new CommandLineException($"Missing {name}.");

    /// <summary>The value of <c>--name</c>, or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback) => OptionalText(name) ?? fallback;

    /// <summary>The value of <c>--name</c>, or null.</summary>
    public string? OptionalText(string name) => options.GetValueOrDefault(name)?.LastOrDefault();

    /// <summary>Every value given for a repeatable <c>--name</c>.</summary>
    public IReadOnlyList<string> All(string name) => options.GetValueOrDefault(name) ?? [];

    /// <summary>The whole-number value of <c>--name</c>, or <paramref name="fallback"/>.</summary>
    public int Number(string name, int fallback) => OptionalNumber(name) ?? fallback;

    /// <summary>The whole-number value of <c>--name</c>, or null.</summary>
    public int? OptionalNumber(string name) =>
        OptionalText(name) is { } value
            ? int.TryParse(value, out var number) && number >= 0 ? number : throw new CommandLineException($"--{name} takes a whole number, not '{value}'.")
            : null;

    /// <summary>The numeric value of <c>--name</c>, or null.</summary>
    public double? OptionalReal(string name) =>
        OptionalText(name) is { } value
            ? double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                ? number
                : throw new CommandLineException($"--{name} takes a number, not '{value}'.")
            : null;

    /// <summary>Whether <c>--name</c> was given.</summary>
    public bool Flag(string name) => options.ContainsKey(name);
}

/// <summary>The command line is wrong; the message says how.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>The command was well formed but could not be carried out; the message says why.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
