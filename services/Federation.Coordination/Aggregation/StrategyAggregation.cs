using Federation.Contracts.Events;
using Federation.Coordination.Payloads;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Coordination.Aggregation;

/// <summary>
/// Runs a round's strategy over its accepted contributions. Updates are handed over in history
/// order and read from the payload store only when the strategy asks for the next one, so
/// FedAvg-like strategies hold one update at a time; robust strategies (median, Krum, …) keep all.
/// The result depends only on the recorded events and payloads, so an auditor can recompute it.
/// </summary>
public static class StrategyAggregation
{
    /// <summary>Aggregates <paramref name="contributions"/> onto <paramref name="baseModel"/> with <paramref name="strategy"/>.</summary>
    /// <exception cref="StrategyInputException">The updates do not satisfy the strategy (e.g. too few for Krum).</exception>
    public static AggregationResult Aggregate(
        IAggregationStrategy strategy, TensorSet baseModel, IReadOnlyList<ContributionAccepted> contributions, PayloadStore payloads, StrategyState? state)
    {
        var updates = contributions.Select(contribution =>
            new ClientUpdate(contribution.GatewayId, SafeTensors.Read(payloads.Get(contribution.PayloadSha256)), contribution.SampleCount));
        return strategy.Aggregate(baseModel, updates, state);
    }

    /// <summary>
    /// The state to continue from: the one saved with the base version, when it was written by the
    /// same strategy; otherwise the strategy starts fresh (e.g. after switching from FedAvg to FedAdam).
    /// </summary>
    public static StrategyState? PreviousState(IAggregationStrategy strategy, string? stateSha256, PayloadStore payloads)
    {
        if (stateSha256 is null)
        {
            return null;
        }

        var state = StrategyState.FromSafeTensors(payloads.Get(stateSha256));
        return state.Strategy == strategy.Name ? state : null;
    }
}
