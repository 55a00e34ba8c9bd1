using Federation.Learning.Tensors;

namespace Federation.Aggregator;

/// <summary>A published model version held in memory.</summary>
/// <param name="Version">The version number.</param>
/// <param name="Sha256">SHA-256 of <paramref name="Bytes"/>.</param>
/// <param name="Bytes">The safetensors bytes.</param>
/// <param name="Parameters">The parsed parameters.</param>
public sealed record ModelVersion(int Version, string Sha256, byte[] Bytes, TensorSet Parameters);
