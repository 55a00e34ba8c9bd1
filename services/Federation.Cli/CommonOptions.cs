using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Federation.Cli;

/// <summary>
/// Options several commands share (--data, --state, --bundle) and typed options that check their values while
/// parsing, so a bad value is a usage error (exit 2) before anything runs or is sent.
/// </summary>
public static class CommonOptions
{
    /// <summary><c>--data DIR</c>, the folder a demo or aggregator wrote.</summary>
    public static Option<string> Data(string description) =>
        new("--data") { HelpName = "DIR", Description = description, DefaultValueFactory = _ => "data/demo" };

    /// <summary><c>--state DIR</c>, required: the gateway's state folder.</summary>
    public static Option<string> State() =>
        new("--state") { HelpName = "DIR", Description = "the gateway's state folder (its Gateway:StateDirectory)", Required = true };

    /// <summary><c>--bundle DIR</c>: read an exported audit bundle offline instead of the aggregator's API.</summary>
    public static Option<string?> Bundle() =>
        new("--bundle") { HelpName = "DIR", Description = "read this audit bundle (fedctl audit export) offline instead of the aggregator's API" };

    /// <summary>A text option.</summary>
    public static Option<string?> Text(string name, string helpName, string description, bool required = false) =>
        new(name) { HelpName = helpName, Description = description, Required = required };

    /// <summary>A flag, false unless given.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>A whole number of at least 0; null when not given.</summary>
    public static Option<int?> WholeNumber(string name, string helpName, string description, bool required = false) =>
        new(name)
        {
            HelpName = helpName,
            Description = description,
            Required = required,
            CustomParser = result => ParseWholeNumber(result, name),
        };

    /// <summary>A finite number (invariant culture, e.g. 0.05); null when not given.</summary>
    public static Option<double?> Real(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                {
                    return number;
                }

                result.AddError($"{name} takes a number, not '{text}'.");
                return null;
            },
        };

    /// <summary>A whole-number argument of at least 0, such as a round number or model version.</summary>
    public static Argument<int> WholeNumberArgument(string name, string description) =>
        new(name)
        {
            Description = description,
            CustomParser = result => ParseWholeNumber(result, description) ?? 0,
        };

    // "name" is an option's name (--min) or what an argument is (the round number), for the message.
    private static int? ParseWholeNumber(ArgumentResult result, string name)
    {
        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        result.AddError(name.StartsWith('-') ? $"{name} takes a whole number, not '{text}'." : $"{name} must be a whole number, not '{text}'.");
        return null;
    }
}
