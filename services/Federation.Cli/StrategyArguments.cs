using System.CommandLine;
using System.Globalization;

namespace Federation.Cli;

/// <summary>The repeatable <c>--param name=value</c> option of <c>demo</c> and <c>rounds open</c>: strategy parameters.</summary>
public static class StrategyArguments
{
    /// <summary><c>--param NAME=VALUE</c>; every value is checked while parsing. Null when none was given.</summary>
    public static Option<Dictionary<string, double>> Option() => new("--param")
    {
        HelpName = "NAME=VALUE",
        Description = "a strategy parameter (repeatable), e.g. --param f=1",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var token in result.Tokens)
            {
                if (token.Value.Split('=', 2) is [{ Length: > 0 } name, var value] && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    parameters[name] = number;
                }
                else
                {
                    result.AddError($"--param takes name=number, not '{token.Value}'.");
                }
            }

            return parameters;
        },
    };
}
