using Federation.Learning.Tensors;

namespace Federation.Aggregator;

/// <summary>A published model version held in memory.</summary>
/// <param name="Version">The version number.</param>
/// <param name="Sha256">SHA-256 of <paramref name="Bytes"/>.</param>
/// <param name="Bytes">The safetensors bytes.</param>
/// <param name="Parameters">The parsed parameters.</param>
/// <param name="StrategyStateSha256">The strategy state saved with this version, if its strategy keeps one.</param>
public sealed record ModelVersion(int Version, string Sha256, byte[] Bytes, TensorSet Parameters, string? StrategyStateSha256 = null);
