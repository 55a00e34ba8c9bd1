using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// Published by the aggregator when a task has a new model version. Replaces <see cref="ModelPublished"/>, which
/// carried the model inline and knew no tasks.
/// </summary>
/// <param name="Task">The task.</param>
/// <param name="Version">The new model version.</param>
/// <param name="Model">The model's hash and length; the bytes are fetched, not sent.</param>
/// <param name="Round">The round that produced it.</param>
[MessageUrn("federation:model-published:v2")]
public sealed record ModelPublishedV2(string Task, int Version, ModelReference Model, int Round);
