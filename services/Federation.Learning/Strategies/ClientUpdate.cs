using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>One client's reply to a round: what it changed in the global model, and on how much data.</summary>
/// <param name="ClientId">Who sent it, e.g. a factory id; unique within one aggregation.</param>
/// <param name="Delta">Local weights − global weights (Δₖ), with exactly the global model's names and shapes.</param>
/// <param name="SampleCount">The number of training samples behind the update (nₖ); must be positive.</param>
public sealed record ClientUpdate(string ClientId, TensorSet Delta, long SampleCount);
