using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical
/// Rates"; Flower's FedMedian): each element of the step is the median of that element over the deltas.
/// </summary>
/// <remarks>
/// <para>Unweighted: sample counts are validated but do not weigh. For n values sorted ascending (−0 before +0):
/// n odd → the middle value; n even → (lower middle + upper middle) / 2 in float32, as numpy's median of float32.
/// Model = global + step in float32. The result does not depend on the order of the updates.</para>
/// <para>Holds all updates in memory. Needs at least one update. Metrics: <c>updates</c>, <c>samples</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class FedMedian : IAggregationStrategy
{
    /// <summary>The strategy name, <c>fedmedian</c>.</summary>
    public const string StrategyName = "fedmedian";

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters => StrategyMath.NoParameters;

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(Name, state);
        var list = UpdateValidation.Materialize(globalModel, updates);
        UpdateValidation.CheckCount(Name, list.Count, 1);

        var step = CoordinateSorter.Step(globalModel, list, CoordinateReducers.Median(list.Count));

        return StrategyMath.Finish(
            Name,
            globalModel,
            step,
            null,
            [("updates", list.Count), ("samples", StrategyMath.TotalSamples(list))],
            [.. list.Select(u => u.ClientId)]);
    }
}
