using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Bulyan (El Mhamdi, Guerraoui and Rouault 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium";
/// Flower's Bulyan with Krum as the first rule).
/// </summary>
/// <remarks>
/// <para>Phase 1: select θ = n − 2f deltas by repeated Krum: score the remaining deltas (<see cref="Krum.Scores"/>, with
/// c − f − 2 neighbours among the c remaining, clamped to [1, c − 1] as Flower does), move the lowest (ties by input
/// order) to the selection, repeat. Phase 2, per coordinate over the θ selected values sorted ascending: the median
/// (as <see cref="FedMedian"/>), then the mean of the β = θ − 2f values closest to it. Those values are a contiguous run
/// grown from the median outwards, taking the side with the smaller float32 |x − median| and the lower side on a tie;
/// they are summed in ascending order in float32 and divided by β. Model = global + step in float32. Unweighted.</para>
/// <para>Flower runs the same rule on client weights rather than deltas; the distances are the same and the
/// coordinate phase agrees up to rounding (and, on exact distance ties, up to Flower's arbitrary argpartition choice).</para>
/// <para>Needs n ≥ 4f + 3. Holds all updates in memory. Metrics: <c>updates</c>, <c>samples</c>, <c>selected</c> (θ),
/// <c>beta</c> (β), <c>step_l2</c>.</para>
/// </remarks>
public sealed class Bulyan : IAggregationStrategy
{
    /// <summary>The strategy name, <c>bulyan</c>.</summary>
    public const string StrategyName = "bulyan";

    /// <summary>Creates the strategy.</summary>
    /// <param name="f">The number of Byzantine (malicious) clients to tolerate (<c>f</c>), zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">f is negative.</exception>
    public Bulyan(int f = 0)
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

    /// <inheritdoc />
    public RoundConfiguration ConfigureRound() => new((4 * F) + 3, StrategyMath.NoParameters);

    /// <inheritdoc />
    public AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state)
    {
        ArgumentNullException.ThrowIfNull(globalModel);
        UpdateValidation.RejectState(Name, state);
        var list = UpdateValidation.Materialize(globalModel, updates);
        int n = list.Count;
        UpdateValidation.CheckCount(Name, n, (4 * F) + 3, $"at least 4f + 3 = {(4 * F) + 3} updates (f = {F})");

        int theta = n - (2 * F);
        int beta = theta - (2 * F);
        var distances = KrumSelection.SquaredDistances([.. list.Select(u => u.Delta)]);
        var remaining = Enumerable.Range(0, n).ToList();
        var chosen = new List<int>(theta);
        for (int s = 0; s < theta; s++)
        {
            var scores = KrumSelection.Scores(distances, remaining, F);
            int best = KrumSelection.Ranking(scores)[0];
            chosen.Add(remaining[best]);
            remaining.RemoveAt(best);
        }

        chosen.Sort();
        var selected = chosen.Select(i => list[i]).ToList();
        var step = CoordinateSorter.Step(globalModel, selected, CoordinateReducers.ClosestToMedianMean(theta, beta));

        return StrategyMath.Finish(
            Name,
            globalModel,
            step,
            null,
            [("updates", n), ("samples", StrategyMath.TotalSamples(list)), ("selected", theta), ("beta", beta)],
            [.. selected.Select(u => u.ClientId)]);
    }
}
