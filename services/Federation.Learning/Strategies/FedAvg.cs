using Federation.Learning.Aggregation;
using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Federated averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data"): the new model is the global model plus the sample-weighted mean of the deltas.
/// </summary>
/// <remarks>
/// <para>step = Σ nₖ·Δₖ / Σ nₖ, computed by <see cref="FedAvgAccumulator"/> in input order with exactly its documented
/// float32 arithmetic; model = global + step, one float32 addition per element.</para>
/// <para>Flower's FedAvg averages the client weights wₖ = global + Δₖ instead; the two agree up to float32 rounding.</para>
/// <para>Enumerates the updates once, holding one update at a time. Metrics: <c>updates</c>, <c>samples</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedAvg : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedavg</c>.</summary>
    public const string StrategyName = "fedavg";

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters => StrategyMath.NoParameters;

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state) =>
        AggregateAs(Name, globalModel, updates, state);

    /// <summary>FedAvg under another name (FedProx aggregates exactly like FedAvg).</summary>
    internal static AggregationResult AggregateAs(string name, TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(name, state);
        var mean = MeanOfUpdates.Compute(name, globalModel, updates);
        return StrategyMath.Finish(name, globalModel, mean.Average, null, [("updates", mean.Count), ("samples", mean.Samples)], mean.ClientIds);
    }
}
