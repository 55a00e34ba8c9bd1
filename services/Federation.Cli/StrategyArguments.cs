using System.Globalization;

namespace Federation.Cli;

/// <summary>Reads repeated <c>--param name=value</c> options into strategy parameters.</summary>
public static class StrategyArguments
{
    /// <summary>The parameters; empty when none were given.</summary>
    public static Dictionary<string, double> Parameters(IReadOnlyList<string> pairs) =>
        pairs.ToDictionary(
            pair => pair.Split('=', 2)[0],
            pair => pair.Split('=', 2) is [_, var value] && double.TryParse(value, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new CommandLineException($"--param takes name=number, not '{pair}'."));
}
