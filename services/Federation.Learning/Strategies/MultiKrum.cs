using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent";
/// Flower's MultiKrum): average the m deltas with the lowest Krum scores.
/// </summary>
/// <remarks>
/// <para>Scores as <see cref="Krum.Scores"/>; the m lowest are selected (ties by input order). Like Flower, the selected
/// deltas are averaged weighted by sample count, Σ nₖ·Δₖ / Σ nₖ with <see cref="Aggregation.FedAvgAccumulator"/>
/// arithmetic, adding them in input order (Flower adds them in score order); model = global + step in float32.</para>
/// <para>m (<c>m</c>) defaults to 0, meaning n − f, the choice Blanchard et al. analyse; m = 1 is Krum. Needs n &gt; 2f + 2
/// and m ≤ n. Holds all updates in memory. Metrics: <c>updates</c>, <c>samples</c>, <c>selected</c> (m),
/// <c>selected_samples</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class MultiKrum : IAggregationStrategy
{
    /// <summary>The strategy name, <c>multi-krum</c>.</summary>
    public const string StrategyName = "multi-krum";

    /// <summary>Creates the strategy.</summary>
    /// <param name="f">The number of Byzantine (malicious) clients to tolerate (<c>f</c>), zero or more.</param>
    /// <param name="m">How many deltas to average (<c>m</c>); 0 means n − f.</param>
    /// <exception cref="ArgumentOutOfRangeException">f or m is negative.</exception>
    public MultiKrum(int f = 0, int m = 0)
    {
        F = StrategyParameters.NonNegative("f", f);
        M = StrategyParameters.NonNegative("m", m);
        Parameters = StrategyMath.Dictionary(("f", F), ("m", M));
    }

    /// <summary>f, the number of Byzantine clients tolerated.</summary>
    public int F { get; }

    /// <summary>m, the number of deltas averaged; 0 means n − f.</summary>
    public int M { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new(Math.Max((2 * F) + 3, M), StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(Name, state);
        var list = UpdateValidation.Materialize(globalModel, updates);
        KrumSelection.CheckCount(Name, list.Count, F);
        int m = M == 0 ? list.Count - F : M;
        if (m > list.Count)
        {
            throw new StrategyInputException($"{Name} averages m = {m} updates, but only {list.Count} were given");
        }

        var distances = KrumSelection.SquaredDistances([.. list.Select(u => u.Delta)]);
        var scores = KrumSelection.Scores(distances, [.. Enumerable.Range(0, list.Count)], F);
        var selected = KrumSelection.Ranking(scores).Take(m).Order().Select(i => list[i]).ToList();
        return StrategyMath.Finish(
            Name,
            globalModel,
            StrategyMath.WeightedMean(globalModel, selected),
            null,
            [
                ("updates", list.Count),
                ("samples", StrategyMath.TotalSamples(list)),
                ("selected", m),
                ("selected_samples", StrategyMath.TotalSamples(selected)),
            ],
            [.. selected.Select(u => u.ClientId)]);
    }
}
