using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// FedAdagrad (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2), following Flower's fedadagrad.py.
/// </summary>
/// <remarks>
/// <para>As <see cref="FedAdam"/> (same float32 conventions, m and v start at zero), with the Adagrad second moment and
/// no bias correction:</para>
/// <list type="bullet">
/// <item><description><c>m ← (β₁·m) + ((1 − β₁)·Δ)</c></description></item>
/// <item><description><c>v ← v + (Δ·Δ)</c></description></item>
/// <item><description><c>step = (η·m) / (sqrt(v) + τ)</c>; model = global + step</description></item>
/// </list>
/// <para>Defaults: η = 0.1, τ = 1e-9 (Flower's legacy FedAdagrad; its newer serverapp one defaults τ to 1e-3) and
/// β₁ = 0, which is what Flower hard-codes (so m = Δ, no momentum). Reddi et al.'s algorithm allows β₁ &gt; 0; set
/// <c>beta_1</c> for that.</para>
/// <para>State: <c>m/&lt;tensor&gt;</c>, <c>v/&lt;tensor&gt;</c>. Enumerates the updates once. Metrics: <c>updates</c>,
/// <c>samples</c>, <c>round</c>, <c>effective_eta</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedAdagrad : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedadagrad</c>.</summary>
    public const string StrategyName = "fedadagrad";

    /// <summary>Creates the strategy.</summary>
    /// <param name="eta">η, the server learning rate (<c>eta</c>), positive.</param>
    /// <param name="tau">τ, the adaptivity floor (<c>tau</c>), positive.</param>
    /// <param name="beta1">β₁, the first-moment decay (<c>beta_1</c>), in [0, 1); 0 as in Flower.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public FedAdagrad(double eta = 0.1, double tau = 1e-9, double beta1 = 0.0)
    {
        Eta = StrategyParameters.Positive("eta", eta);
        Tau = StrategyParameters.Positive("tau", tau);
        Beta1 = StrategyParameters.Decay("beta_1", beta1);
        Parameters = StrategyMath.Dictionary(("eta", Eta), ("beta_1", Beta1), ("tau", Tau));
    }

    /// <summary>η, the server learning rate.</summary>
    public double Eta { get; }

    /// <summary>τ, added to sqrt(v).</summary>
    public double Tau { get; }

    /// <summary>β₁, the first-moment decay.</summary>
    public double Beta1 { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state) =>
        AdaptiveOptimizer.Aggregate(Name, SecondMoment.Adagrad, Eta, Beta1, beta2: 0, Tau, biasCorrection: false, globalModel, updates, state);
}
