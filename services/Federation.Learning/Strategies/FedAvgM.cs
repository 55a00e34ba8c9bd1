using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Federated averaging with server momentum (Hsu, Qi and Brown 2019, "Measuring the Effects of Non-Identical Data
/// Distribution for Federated Visual Classification"; Flower's FedAvgM).
/// </summary>
/// <remarks>
/// <para>With Δ̄ the sample-weighted mean of the deltas (exactly <see cref="FedAvg"/>'s step) and v the momentum
/// (zeros before the first round), each element in float32, every operation rounded (no fused multiply-add):</para>
/// <para><c>v ← (β·v) + Δ̄;  step = η·v;  model = global + step</c></para>
/// <para>with β = <c>server_momentum</c> and η = <c>server_learning_rate</c> converted to float32. Flower writes the same
/// recursion on the pseudo-gradient −Δ̄ (PyTorch SGD convention, no Nesterov), which is the same update.</para>
/// <para>Defaults: η = 1.0, β = 0.9 (Flower defaults β to 0.0, which is plain FedAvg).</para>
/// <para>State: <c>v/&lt;tensor&gt;</c>. Enumerates the updates once. Metrics: <c>updates</c>, <c>samples</c>, <c>round</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedAvgM : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedavgm</c>.</summary>
    public const string StrategyName = "fedavgm";

    private static readonly string[] StatePrefixes = ["v/"];

    /// <summary>Creates the strategy.</summary>
    /// <param name="serverLearningRate">η (<c>server_learning_rate</c>), positive.</param>
    /// <param name="serverMomentum">β (<c>server_momentum</c>), in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public FedAvgM(double serverLearningRate = 1.0, double serverMomentum = 0.9)
    {
        ServerLearningRate = StrategyParameters.Positive("server_learning_rate", serverLearningRate);
        ServerMomentum = StrategyParameters.Decay("server_momentum", serverMomentum);
        Parameters = StrategyMath.Dictionary(("server_learning_rate", ServerLearningRate), ("server_momentum", ServerMomentum));
    }

    /// <summary>η, the server learning rate.</summary>
    public double ServerLearningRate { get; }

    /// <summary>β, the server momentum.</summary>
    public double ServerMomentum { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        if (state is not null)
        {
            UpdateValidation.CheckState(Name, globalModel, state, StatePrefixes);
        }

        var mean = MeanOfUpdates.Compute(Name, globalModel, updates);
        float beta = (float)ServerMomentum;
        float eta = (float)ServerLearningRate;
        var momentum = new Tensor[globalModel.Count];
        for (int t = 0; t < globalModel.Count; t++)
        {
            var tensor = globalModel[t];
            var previous = state?.Tensors["v/" + tensor.Name].Values;
            var average = mean.Average[t].Values;
            var next = new float[average.Length];
            for (int i = 0; i < next.Length; i++)
            {
                float v = previous is null ? 0f : previous[i];
                next[i] = (beta * v) + average[i];
                average[i] = eta * next[i];
            }

            momentum[t] = new Tensor("v/" + tensor.Name, tensor.Shape, next);
        }

        long round = (state?.Round ?? 0) + 1;
        var newState = new StrategyState(Name, round, new TensorSet(momentum));
        return StrategyMath.Finish(
            Name, globalModel, mean.Average, newState, [("updates", mean.Count), ("samples", mean.Samples), ("round", round)], mean.ClientIds);
    }
}
