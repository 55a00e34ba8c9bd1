namespace Federation.Learning.Strategies;

/// <summary>Creates strategies from data, so that a round can name its strategy and parameters in configuration.</summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>name</term><description>parameters (defaults)</description></listheader>
/// <item><term><c>fedavg</c></term><description>none</description></item>
/// <item><term><c>fedprox</c></term><description><c>proximal_mu</c> (required)</description></item>
/// <item><term><c>fedavgm</c></term><description><c>server_learning_rate</c> (1.0), <c>server_momentum</c> (0.9)</description></item>
/// <item><term><c>fedadam</c></term><description><c>eta</c> (0.1), <c>beta_1</c> (0.9), <c>beta_2</c> (0.99), <c>tau</c> (1e-9), <c>bias_correction</c> (1)</description></item>
/// <item><term><c>fedyogi</c></term><description><c>eta</c> (0.01), <c>beta_1</c> (0.9), <c>beta_2</c> (0.99), <c>tau</c> (1e-3)</description></item>
/// <item><term><c>fedadagrad</c></term><description><c>eta</c> (0.1), <c>tau</c> (1e-9), <c>beta_1</c> (0)</description></item>
/// <item><term><c>fedmedian</c></term><description>none</description></item>
/// <item><term><c>trimmed-mean</c></term><description>either <c>beta</c> (0.2), a fraction per side, or <c>k</c>, a count per side</description></item>
/// <item><term><c>krum</c></term><description><c>f</c> (0)</description></item>
/// <item><term><c>multi-krum</c></term><description><c>f</c> (0), <c>m</c> (0 = n − f)</description></item>
/// <item><term><c>bulyan</c></term><description><c>f</c> (0)</description></item>
/// </list>
/// Whole-number parameters (<c>f</c>, <c>m</c>, <c>k</c>, <c>bias_correction</c>) must be given as whole numbers.
/// </remarks>
public static class AggregationStrategies
{
    /// <summary>Every strategy name <see cref="Create"/> accepts, in ordinal order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        Bulyan.StrategyName,
        FedAdagrad.StrategyName,
        FedAdam.StrategyName,
        FedAvg.StrategyName,
        FedAvgM.StrategyName,
        FedMedian.StrategyName,
        FedProx.StrategyName,
        FedYogi.StrategyName,
        Krum.StrategyName,
        MultiKrum.StrategyName,
        TrimmedMean.StrategyName,
    ];

    /// <summary>Creates the strategy called <paramref name="name"/> with <paramref name="parameters"/>; missing parameters take their defaults.</summary>
    /// <param name="name">A name from <see cref="Names"/> (exact, lower case).</param>
    /// <param name="parameters">Parameter values by name; null or empty for all defaults.</param>
    /// <returns>The strategy; its <see cref="IAggregationStrategy.Parameters"/> lists every effective value.</returns>
    /// <exception cref="ArgumentException">The name is unknown, a parameter is unknown to the strategy, missing, not finite, or not a whole number where one is needed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of its range.</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, double>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        parameters ??= new Dictionary<string, double>();
        switch (name)
        {
            case FedAvg.StrategyName:
                _ = new ParameterReader(name, parameters);
                return new FedAvg();
            case FedProx.StrategyName:
                return new FedProx(new ParameterReader(name, parameters, "proximal_mu").Required("proximal_mu"));
            case FedAvgM.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "server_learning_rate", "server_momentum");
                return new FedAvgM(read.Real("server_learning_rate", 1.0), read.Real("server_momentum", 0.9));
            }

            case FedAdam.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "eta", "beta_1", "beta_2", "tau", "bias_correction");
                int biasCorrection = read.Whole("bias_correction", 1);
                if (biasCorrection is not (0 or 1))
                {
                    throw StrategyParameters.OutOfRange("bias_correction", biasCorrection, "must be 0 or 1");
                }

                return new FedAdam(read.Real("eta", 0.1), read.Real("beta_1", 0.9), read.Real("beta_2", 0.99), read.Real("tau", 1e-9), biasCorrection == 1);
            }

            case FedYogi.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "eta", "beta_1", "beta_2", "tau");
                return new FedYogi(read.Real("eta", 0.01), read.Real("beta_1", 0.9), read.Real("beta_2", 0.99), read.Real("tau", 1e-3));
            }

            case FedAdagrad.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "eta", "tau", "beta_1");
                return new FedAdagrad(read.Real("eta", 0.1), read.Real("tau", 1e-9), read.Real("beta_1", 0.0));
            }

            case FedMedian.StrategyName:
                _ = new ParameterReader(name, parameters);
                return new FedMedian();
            case TrimmedMean.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "beta", "k");
                if (read.Has("beta") && read.Has("k"))
                {
                    throw new ArgumentException($"strategy '{name}' takes either 'beta' or 'k', not both", nameof(parameters));
                }

                return read.Has("k") ? TrimmedMean.WithTrimCount(read.Whole("k", 0)) : new TrimmedMean(read.Real("beta", 0.2));
            }

            case Krum.StrategyName:
                return new Krum(new ParameterReader(name, parameters, "f").Whole("f", 0));
            case MultiKrum.StrategyName:
            {
                var read = new ParameterReader(name, parameters, "f", "m");
                return new MultiKrum(read.Whole("f", 0), read.Whole("m", 0));
            }

            case Bulyan.StrategyName:
                return new Bulyan(new ParameterReader(name, parameters, "f").Whole("f", 0));
            default:
                throw new ArgumentException(
                    $"unknown aggregation strategy '{name}'; known strategies are {string.Join(", ", Names)}", nameof(name));
        }
    }
}
