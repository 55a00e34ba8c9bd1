using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>Published by the aggregator when a new model version exists.</summary>
/// <param name="Version">The new model version.</param>
/// <param name="ModelSha256">SHA-256 (lowercase hex) of <paramref name="Model"/>.</param>
/// <param name="Round">The round that produced it.</param>
/// <param name="Model">The model as safetensors bytes.</param>
[MessageUrn("federation:model-published:v1")]
public sealed record ModelPublished(int Version, string ModelSha256, int Round, byte[] Model);
