using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical
/// Rates"; Flower's FedTrimmedAvg): for each element, drop the k smallest and k largest values over the deltas and
/// average the rest.
/// </summary>
/// <remarks>
/// <para>k is given directly (<c>k</c>) or as a fraction (<c>beta</c>, default 0.2): k = ⌊β·n⌋ in float64, as Flower's
/// <c>int(proportiontocut * nobs)</c>. Unweighted. Values are sorted ascending (−0 before +0); the kept values
/// k … n−k−1 are summed in that order in float32 and divided by (float)(n − 2k); model = global + step in float32.
/// The result does not depend on the order of the updates.</para>
/// <para>Needs 2k &lt; n (always true for β &lt; 0.5). Holds all updates in memory. Metrics: <c>updates</c>,
/// <c>samples</c>, <c>trimmed_per_side</c> (k), <c>step_l2</c>.</para>
/// </remarks>
public sealed class TrimmedMean : IAggregationStrategy
{
    /// <summary>The strategy name, <c>trimmed-mean</c>.</summary>
    public const string StrategyName = "trimmed-mean";

    /// <summary>Creates the strategy with k = ⌊β·n⌋ per side.</summary>
    /// <param name="beta">β, the fraction trimmed from each side (<c>beta</c>), in [0, 0.5).</param>
    /// <exception cref="ArgumentOutOfRangeException">β is out of range.</exception>
    public TrimmedMean(double beta = 0.2)
    {
        Beta = beta is >= 0 and < 0.5 ? beta : throw StrategyParameters.OutOfRange("beta", beta, "must be in [0, 0.5)");
        Parameters = StrategyMath.Dictionary(("beta", beta));
    }

    private TrimmedMean(int trimCount)
    {
        TrimCount = StrategyParameters.NonNegative("k", trimCount);
        Parameters = StrategyMath.Dictionary(("k", trimCount));
    }

    /// <summary>β when the strategy trims a fraction; null when it trims a fixed count.</summary>
    public double? Beta { get; }

    /// <summary>k when the strategy trims a fixed count; null when it trims a fraction.</summary>
    public int? TrimCount { get; }

    /// <inheritdoc />
    public string Name => StrategyName;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters { get; }

    /// <summary>Creates the strategy with a fixed number of values trimmed from each side.</summary>
    /// <param name="k">The values dropped at each end of every coordinate (<c>k</c>), zero or more.</param>
    /// <returns>The strategy; it needs more than 2k updates.</returns>
    /// <exception cref="ArgumentOutOfRangeException">k is negative.</exception>
    public static TrimmedMean WithTrimCount(int k) => new(k);

    /// <summary>The number of values trimmed from each side of every coordinate when there are <paramref name="updateCount"/> updates.</summary>
    /// <param name="updateCount">n.</param>
    /// <returns>k.</returns>
    public int TrimmedPerSide(int updateCount) => TrimCount ?? (int)Math.Floor(Beta!.Value * updateCount);

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new((2 * (TrimCount ?? 0)) + 1, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(Name, state);
        var list = UpdateValidation.Materialize(globalModel, updates);
        int n = list.Count;
        int k = TrimmedPerSide(n);
        UpdateValidation.CheckCount(Name, n, (2 * k) + 1, $"more than 2k = {2 * k} updates (k = {k})");

        var step = CoordinateSorter.Step(globalModel, list, CoordinateReducers.TrimmedMean(n, k));

        return StrategyMath.Finish(
            Name,
            globalModel,
            step,
            null,
            [("updates", n), ("samples", StrategyMath.TotalSamples(list)), ("trimmed_per_side", k)],
            [.. list.Select(u => u.ClientId)]);
    }
}
