using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// Published by the aggregator when a model version of a task passed its release gate, or an operator released it.
/// Gateways set to deploy only released versions deploy on this message.
/// </summary>
/// <param name="Task">The task.</param>
/// <param name="Version">The released version.</param>
/// <param name="Model">The model's hash and length.</param>
[MessageUrn("federation:model-released:v1")]
public sealed record ModelReleased(string Task, int Version, ModelReference Model);
