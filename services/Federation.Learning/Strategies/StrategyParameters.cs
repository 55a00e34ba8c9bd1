using System.Globalization;

namespace Federation.Learning.Strategies;

/// <summary>Range checks shared by the strategy constructors; messages use the parameter names of <see cref="AggregationStrategies.Create"/>.</summary>
internal static class StrategyParameters
{
    public static double Positive(string name, double value) =>
        value > 0 && double.IsFinite(value) ? value : throw OutOfRange(name, value, "must be positive and finite");

    public static double NonNegative(string name, double value) =>
        value >= 0 && double.IsFinite(value) ? value : throw OutOfRange(name, value, "must be zero or positive and finite");

    /// <summary>A decay rate in [0, 1).</summary>
    public static double Decay(string name, double value) =>
        value is >= 0 and < 1 ? value : throw OutOfRange(name, value, "must be in [0, 1)");

    public static int NonNegative(string name, int value) =>
        value >= 0 ? value : throw OutOfRange(name, value, "must be zero or positive");

    public static ArgumentOutOfRangeException OutOfRange(string name, double value, string requirement) =>
        new(name, value, string.Create(CultureInfo.InvariantCulture, $"parameter '{name}' {requirement}, but it is {value}"));
}

/// <summary>Reads the data form of a strategy's parameters, refusing names the strategy does not have.</summary>
internal sealed class ParameterReader
{
    private readonly string _strategy;
    private readonly IReadOnlyDictionary<string, double> _given;

    public ParameterReader(string strategy, IReadOnlyDictionary<string, double> given, params string[] accepted)
    {
        _strategy = strategy;
        _given = given;
        foreach (var (name, value) in given)
        {
            if (!accepted.Contains(name, StringComparer.Ordinal))
            {
                string list = accepted.Length == 0 ? "it takes no parameters" : $"it accepts {string.Join(", ", accepted.Select(a => $"'{a}'"))}";
                throw new ArgumentException($"strategy '{strategy}' has no parameter '{name}'; {list}", "parameters");
            }

            if (!double.IsFinite(value))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"parameter '{name}' of strategy '{strategy}' must be finite, but it is {value}"),
                    "parameters");
            }
        }
    }

    public bool Has(string name) => _given.ContainsKey(name);

    public double Real(string name, double fallback) => _given.TryGetValue(name, out double value) ? value : fallback;

    public double Required(string name) => _given.TryGetValue(name, out double value)
        ? value
        : throw new ArgumentException($"strategy '{_strategy}' needs parameter '{name}'", "parameters");

    public int Whole(string name, int fallback)
    {
        if (!_given.TryGetValue(name, out double value))
        {
            return fallback;
        }

        if (value != Math.Floor(value) || value < int.MinValue || value > int.MaxValue)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"parameter '{name}' of strategy '{_strategy}' must be a whole number, but it is {value}"),
                "parameters");
        }

        return (int)value;
    }
}
