using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2), following Flower's fedadam.py.
/// </summary>
/// <remarks>
/// <para>With Δ the sample-weighted mean of the deltas (exactly <see cref="FedAvg"/>'s step), m and v the moments
/// (zeros before the first round) and t the 1-based number of this aggregation (<see cref="StrategyState.Round"/>
/// after it), each element in float32 with every operation rounded (no fused multiply-add) and the constants
/// β₁, (1 − β₁), β₂, (1 − β₂), τ computed in float64 and converted to float32:</para>
/// <list type="bullet">
/// <item><description><c>m ← (β₁·m) + ((1 − β₁)·Δ)</c></description></item>
/// <item><description><c>v ← (β₂·v) + ((1 − β₂)·(Δ·Δ))</c></description></item>
/// <item><description><c>step = (η_t·m) / (sqrt(v) + τ)</c>; model = global + step</description></item>
/// </list>
/// <para>η_t: with <c>bias_correction</c> = 1 (default, as in Flower) η_t = η·sqrt(1 − β₂^(t+1)) / (1 − β₁^(t+1)),
/// computed in float64 (powers by binary exponentiation) and converted to float32. The exponent t + 1 is Flower's
/// (it uses <c>server_round + 1</c>); Kingma and Ba's Adam uses t, and Reddi et al.'s algorithm has no bias
/// correction at all (<c>bias_correction</c> = 0 gives η_t = η). Flower's t is its server round, ours is the number
/// of aggregations this state has seen; they agree when every round aggregates.</para>
/// <para>Defaults as Flower's legacy FedAdam: η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-9 (Flower's newer serverapp FedAdam
/// defaults τ to 1e-3). Flower's numpy code promotes to float64 when it multiplies by η_t; ours stays float32.</para>
/// <para>State: <c>m/&lt;tensor&gt;</c>, <c>v/&lt;tensor&gt;</c>. Enumerates the updates once. Metrics: <c>updates</c>,
/// <c>samples</c>, <c>round</c>, <c>effective_eta</c> (η_t), <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedAdam : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedadam</c>.</summary>
    public const string StrategyName = "fedadam";

    /// <summary>Creates the strategy.</summary>
    /// <param name="eta">η, the server learning rate (<c>eta</c>), positive.</param>
    /// <param name="beta1">β₁, the first-moment decay (<c>beta_1</c>), in [0, 1).</param>
    /// <param name="beta2">β₂, the second-moment decay (<c>beta_2</c>), in [0, 1).</param>
    /// <param name="tau">τ, the adaptivity floor (<c>tau</c>), positive.</param>
    /// <param name="biasCorrection">Whether to scale η as Flower does (<c>bias_correction</c> 1 or 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public FedAdam(double eta = 0.1, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-9, bool biasCorrection = true)
    {
        Eta = StrategyParameters.Positive("eta", eta);
        Beta1 = StrategyParameters.Decay("beta_1", beta1);
        Beta2 = StrategyParameters.Decay("beta_2", beta2);
        Tau = StrategyParameters.Positive("tau", tau);
        BiasCorrection = biasCorrection;
        Parameters = StrategyMath.Dictionary(
            ("eta", Eta), ("beta_1", Beta1), ("beta_2", Beta2), ("tau", Tau), ("bias_correction", BiasCorrection ? 1 : 0));
    }

    /// <summary>η, the server learning rate.</summary>
    public double Eta { get; }

    /// <summary>β₁, the first-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>τ, added to sqrt(v).</summary>
    public double Tau { get; }

    /// <summary>Whether η is bias-corrected as in Flower.</summary>
    public bool BiasCorrection { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state) =>
        AdaptiveOptimizer.Aggregate(Name, SecondMoment.Adam, Eta, Beta1, Beta2, Tau, BiasCorrection, globalModel, updates, state);
}
