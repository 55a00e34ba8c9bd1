using System.Collections.ObjectModel;
using Federation.Learning.Aggregation;
using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>The sample-weighted mean of deltas, computed in one streaming pass.</summary>
/// <param name="Average">Σ nₖ·Δₖ / Σ nₖ, exactly as <see cref="FedAvgAccumulator"/> documents it.</param>
/// <param name="Count">The number of updates.</param>
/// <param name="Samples">Σ nₖ.</param>
/// <param name="ClientIds">The clients, in input order.</param>
internal sealed record MeanOfUpdates(TensorSet Average, int Count, long Samples, IReadOnlyList<string> ClientIds)
{
    /// <summary>Enumerates <paramref name="updates"/> exactly once, checking and folding in one update at a time.</summary>
    public static MeanOfUpdates Compute(string strategy, TensorSet globalModel, IEnumerable<ClientUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var checker = new UpdateChecker(globalModel);
        var accumulator = new FedAvgAccumulator(globalModel);
        var clientIds = new List<string>();
        foreach (var update in updates)
        {
            checker.Accept(update);
            accumulator.Add(update.Delta, update.SampleCount);
            clientIds.Add(update.ClientId);
        }

        UpdateValidation.CheckCount(strategy, checker.Count, 1);
        return new MeanOfUpdates(accumulator.Average(), accumulator.Count, accumulator.TotalSamples, clientIds);
    }
}

/// <summary>Shared arithmetic and bookkeeping of the strategies.</summary>
internal static class StrategyMath
{
    public static readonly IReadOnlyDictionary<string, double> NoParameters =
        new ReadOnlyDictionary<string, double>(new SortedDictionary<string, double>(StringComparer.Ordinal));

    /// <summary>An immutable, ordinal-sorted dictionary of the given pairs.</summary>
    public static IReadOnlyDictionary<string, double> Dictionary(params (string Key, double Value)[] pairs)
    {
        var sorted = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            sorted.Add(key, value);
        }

        return new ReadOnlyDictionary<string, double>(sorted);
    }

    /// <summary>Σ nₖ over the updates, checked for overflow.</summary>
    public static long TotalSamples(IEnumerable<ClientUpdate> updates)
    {
        long total = 0;
        foreach (var update in updates)
        {
            total = checked(total + update.SampleCount);
        }

        return total;
    }

    /// <summary>
    /// Turns a step into the result: records <c>step_l2</c>, computes model = global + step (float32, element-wise,
    /// written into the step's arrays, which are then owned by the result) and refuses a model or state that
    /// overflowed to a non-finite value.
    /// </summary>
    public static AggregationResult Finish(
        string strategy,
        TensorSet globalModel,
        TensorSet step,
        StrategyState? state,
        IEnumerable<(string Key, double Value)> metrics,
        IReadOnlyList<string> selectedClientIds)
    {
        var allMetrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in metrics)
        {
            allMetrics.Add(key, value);
        }

        allMetrics.Add("step_l2", step.L2Norm());
        for (int t = 0; t < step.Count; t++)
        {
            TensorPrimitives.Add(globalModel[t].Values, step[t].Values, step[t].Values);
        }

        string? nonFinite = UpdateValidation.FindNonFinite(step);
        if (nonFinite is not null)
        {
            throw new StrategyInputException($"{strategy} produced a non-finite model (the updates are too large for float32): {nonFinite}");
        }

        if (state is not null && UpdateValidation.FindNonFinite(state.Tensors) is { } stateNonFinite)
        {
            throw new StrategyInputException($"{strategy} produced a non-finite state (the updates are too large for float32): {stateNonFinite}");
        }

        return new AggregationResult(step, state, new ReadOnlyDictionary<string, double>(allMetrics), selectedClientIds);
    }

    /// <summary>The delta tensors at position <paramref name="tensor"/> of each update, in update order.</summary>
    public static float[][] Column(IReadOnlyList<ClientUpdate> updates, int tensor)
    {
        var rows = new float[updates.Count][];
        for (int k = 0; k < rows.Length; k++)
        {
            rows[k] = updates[k].Delta[tensor].Values;
        }

        return rows;
    }

    /// <summary>The sample-weighted mean of the chosen updates, added in the order given (FedAvgAccumulator arithmetic).</summary>
    public static TensorSet WeightedMean(TensorSet layout, IEnumerable<ClientUpdate> updates)
    {
        var accumulator = new FedAvgAccumulator(layout);
        foreach (var update in updates)
        {
            accumulator.Add(update.Delta, update.SampleCount);
        }

        return accumulator.Average();
    }

    /// <summary>βᵉ by binary exponentiation in float64: a fixed sequence of IEEE operations, so every machine agrees.</summary>
    public static double Power(double beta, long exponent)
    {
        double result = 1;
        double square = beta;
        while (exponent > 0)
        {
            if ((exponent & 1) != 0)
            {
                result *= square;
            }

            square *= square;
            exponent >>= 1;
        }

        return result;
    }
}
