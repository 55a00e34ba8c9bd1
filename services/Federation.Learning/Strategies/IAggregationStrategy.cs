using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// A server-side federated learning algorithm, shaped like Flower's <c>Strategy</c>: it configures a round,
/// checks that the replies agree with the global model, and aggregates them into new weights and metrics.
/// </summary>
/// <remarks>
/// <para>
/// Strategies are pure: the result depends only on the global model, the updates <em>and their order</em>, the
/// state and the parameters, so an auditor who replays the history in the same order gets the same bits. Every
/// strategy documents its float32 arithmetic; ties are broken by input order unless documented otherwise.
/// Instances are immutable and may be shared between threads.
/// </para>
/// <para>
/// Averaging strategies (FedAvg, FedProx, FedAvgM, FedAdam, FedYogi, FedAdagrad) enumerate
/// <c>updates</c> exactly once, one update at a time, so the caller may load updates lazily and memory stays at a
/// few models however many updates there are. Robust strategies (FedMedian, trimmed mean, Krum, Multi-Krum,
/// Bulyan) need every update at once and hold them all.
/// </para>
/// </remarks>
public interface IAggregationStrategy
{
    /// <summary>The name the strategy is created by in <see cref="AggregationStrategies.Create"/>, e.g. <c>fedadam</c>.</summary>
    string Name { get; }

    /// <summary>Every parameter with its effective value (defaults included), keyed in ordinal order; record it with the round.</summary>
    IReadOnlyDictionary<string, double> Parameters { get; }

    /// <summary>What the round needs: the minimum number of updates and the settings to send to clients.</summary>
    /// <returns>The round configuration.</returns>
    RoundConfiguration ConfigureRound();

    /// <summary>Validates the updates and aggregates them into a new global model.</summary>
    /// <param name="globalModel">The model the clients started from (not modified).</param>
    /// <param name="updates">The deltas, in a fixed order (the aggregator uses history order); not modified.</param>
    /// <param name="state">
    /// The state returned by the previous aggregation of a stateful strategy, or null for the first round;
    /// must be null for stateless strategies.
    /// </param>
    /// <returns>The new model, the state to keep, metrics and the selected clients.</returns>
    /// <exception cref="StrategyInputException">The updates or the state cannot be aggregated; nothing is returned.</exception>
    AggregationResult Aggregate(TensorSet globalModel, IEnumerable<ClientUpdate> updates, StrategyState? state);
}
