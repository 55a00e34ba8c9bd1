using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent"; Flower's
/// Krum): the step is the one delta whose neighbourhood is tightest.
/// </summary>
/// <remarks>
/// <para>score(i) = Σ ‖Δᵢ − Δⱼ‖² over the n − f − 2 deltas j ≠ i nearest to Δᵢ (see <see cref="Scores"/>); the step is the
/// Δᵢ with the lowest score, ties going to the earliest in input order; model = global + Δᵢ in float32. Unweighted.</para>
/// <para>Needs n &gt; 2f + 2. Holds all updates in memory. Metrics: <c>updates</c>, <c>samples</c>, <c>selected</c> (1),
/// <c>krum_score</c>, <c>step_l2</c>.</para>
/// </remarks>
public sealed class Krum : IAggregationStrategy
{
    /// <summary>The strategy name, <c>krum</c>.</summary>
    public const string StrategyName = "krum";

    /// <summary>Creates the strategy.</summary>
    /// <param name="f">The number of Byzantine (malicious) clients to tolerate (<c>f</c>), zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">f is negative.</exception>
    public Krum(int f = 0)
    {
        F = StrategyParameters.NonNegative("f", f);
        Parameters = StrategyMath.Dictionary(("f", F));
    }

    /// <summary>f, the number of Byzantine clients tolerated.</summary>
    public int F { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <summary>
    /// The Krum scores: for each delta, the sum of its squared L2 distances to its n − f − 2 nearest other deltas
    /// (clamped to at least 1 and at most n − 1, as Flower does). Distances are accumulated in float64 over tensors in
    /// name order and elements in index order; each score sums its distances in ascending order.
    /// </summary>
    /// <param name="deltas">Deltas with one layout.</param>
    /// <param name="f">The number of Byzantine clients tolerated.</param>
    /// <returns>One score per delta, in input order.</returns>
    /// <exception cref="ArgumentException">Fewer than two deltas, or their layouts differ.</exception>
    public static IReadOnlyList<double> Scores(IReadOnlyList<TensorSet> deltas, int f)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        StrategyParameters.NonNegative("f", f);
        if (deltas.Count < 2)
        {
            throw new ArgumentException("Krum scores need at least two deltas", nameof(deltas));
        }

        for (int i = 1; i < deltas.Count; i++)
        {
            if (!deltas[i].HasSameLayout(deltas[0]))
            {
                throw new ArgumentException($"delta {i} differs from delta 0: {deltas[i].DescribeLayoutDifference(deltas[0])}", nameof(deltas));
            }
        }

        return KrumSelection.Scores(KrumSelection.SquaredDistances(deltas), [.. Enumerable.Range(0, deltas.Count)], f);
    }

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new((2 * F) + 3, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(Name, state);
        var list = UpdateValidation.Materialize(globalModel, updates);
        KrumSelection.CheckCount(Name, list.Count, F);

        var distances = KrumSelection.SquaredDistances([.. list.Select(u => u.Delta)]);
        var scores = KrumSelection.Scores(distances, [.. Enumerable.Range(0, list.Count)], F);
        int best = KrumSelection.Ranking(scores)[0];
        return StrategyMath.Finish(
            Name,
            globalModel,
            list[best].Delta.Clone(),
            null,
            [("updates", list.Count), ("samples", StrategyMath.TotalSamples(list)), ("selected", 1), ("krum_score", scores[best])],
            [list[best].ClientId]);
    }
}
