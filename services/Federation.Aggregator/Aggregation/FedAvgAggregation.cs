using Federation.Aggregator.Payloads;
using Federation.Contracts.Events;
using Federation.Learning.Aggregation;
using Federation.Learning.Tensors;

namespace Federation.Aggregator.Aggregation;

/// <summary>
/// FedAvg over accepted contributions: new = base + Σ nₖ·Δₖ / Σ nₖ, where Δₖ is gateway k's
/// update and nₖ its sample count. Updates are read from the payload store one at a time, in
/// the order given, so memory stays at one model however many gateways contributed.
/// </summary>
public static class FedAvgAggregation
{
    /// <summary>The strategy name recorded in events.</summary>
    public const string Strategy = "fedavg";

    /// <summary>Aggregates <paramref name="contributions"/> (in this order) onto <paramref name="baseModel"/>.</summary>
    public static async Task<TensorSet> AggregateAsync(
        TensorSet baseModel, IReadOnlyList<ContributionAccepted> contributions, PayloadStore payloads, CancellationToken cancellationToken = default)
    {
        if (contributions.Count == 0)
        {
            throw new ArgumentException("FedAvg needs at least one contribution.", nameof(contributions));
        }

        var accumulator = new FedAvgAccumulator(baseModel);
        foreach (var contribution in contributions)
        {
            var payload = await payloads.GetAsync(contribution.PayloadSha256, cancellationToken);
            accumulator.Add(SafeTensors.Read(payload), contribution.SampleCount);
        }

        return baseModel.Add(accumulator.Average());
    }
}
