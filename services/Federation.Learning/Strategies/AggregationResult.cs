using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>What a strategy made of one round's updates.</summary>
/// <param name="Model">The new global model: the old global model plus the aggregated step, rounded to float32.</param>
/// <param name="State">
/// The server-optimizer state to pass to the next round's <see cref="IAggregationStrategy.Aggregate"/>
/// (FedAvgM, FedAdam, FedYogi, FedAdagrad); null for stateless strategies.
/// </param>
/// <param name="Metrics">
/// Figures about the aggregation, e.g. <c>updates</c>, <c>samples</c> and <c>step_l2</c> (the L2 norm of the step
/// added to the global model, in float64), plus strategy-specific ones documented on each strategy.
/// </param>
/// <param name="SelectedClientIds">
/// The clients whose updates shaped the step, in input order: all of them for averaging and coordinate-wise rules,
/// the chosen ones for Krum, Multi-Krum and Bulyan.
/// </param>
public sealed record AggregationResult(
    TensorSet Model,
    StrategyState? State,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<string> SelectedClientIds);
