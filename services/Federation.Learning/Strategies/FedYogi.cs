using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2), following Flower's fedyogi.py.
/// </summary>
/// <remarks>
/// <para>As <see cref="FedAdam"/> (same float32 conventions, m and v start at zero), with the Yogi second moment and
/// no bias correction (Flower's fedyogi.py has none either):</para>
/// <list type="bullet">
/// <item><description><c>m ← (β₁·m) + ((1 − β₁)·Δ)</c></description></item>
/// <item><description><c>v ← v − (((1 − β₂)·(Δ·Δ))·sign(v − Δ·Δ))</c>, sign ∈ {−1, 0, +1}</description></item>
/// <item><description><c>step = (η·m) / (sqrt(v) + τ)</c>; model = global + step</description></item>
/// </list>
/// <para>Defaults as Flower's FedYogi: η = 0.01, β₁ = 0.9, β₂ = 0.99, τ = 1e-3. Reddi et al. start v at τ² or above;
/// Flower and this class start it at zero.</para>
/// <para>State: <c>m/&lt;tensor&gt;</c>, <c>v/&lt;tensor&gt;</c>. Enumerates the updates once. Metrics: <c>updates</c>,
/// <c>samples</c>, <c>round</c>, <c>effective_eta</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedYogi : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedyogi</c>.</summary>
    public const string StrategyName = "fedyogi";

    /// <summary>Creates the strategy.</summary>
    /// <param name="eta">η, the server learning rate (<c>eta</c>), positive.</param>
    /// <param name="beta1">β₁, the first-moment decay (<c>beta_1</c>), in [0, 1).</param>
    /// <param name="beta2">β₂, the second-moment rate (<c>beta_2</c>), in [0, 1).</param>
    /// <param name="tau">τ, the adaptivity floor (<c>tau</c>), positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public FedYogi(double eta = 0.01, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3)
    {
        Eta = StrategyParameters.Positive("eta", eta);
        Beta1 = StrategyParameters.Decay("beta_1", beta1);
        Beta2 = StrategyParameters.Decay("beta_2", beta2);
        Tau = StrategyParameters.Positive("tau", tau);
        Parameters = StrategyMath.Dictionary(("eta", Eta), ("beta_1", Beta1), ("beta_2", Beta2), ("tau", Tau));
    }

    /// <summary>η, the server learning rate.</summary>
    public double Eta { get; }

    /// <summary>β₁, the first-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the second-moment rate.</summary>
    public double Beta2 { get; }

    /// <summary>τ, added to sqrt(v).</summary>
    public double Tau { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state) =>
        AdaptiveOptimizer.Aggregate(Name, SecondMoment.Yogi, Eta, Beta1, Beta2, Tau, biasCorrection: false, globalModel, updates, state);
}
