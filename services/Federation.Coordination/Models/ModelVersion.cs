using Federation.Learning.Tensors;

namespace Federation.Coordination.Models;

/// <summary>
/// A published model version, as the coordinator keeps it between rounds: what checking a contribution needs (the
/// header's names and shapes), not the parameters, which stay in the payload store until a round is aggregated.
/// </summary>
/// <param name="Version">The version number.</param>
/// <param name="Sha256">SHA-256 of the model's safetensors bytes, its name in the payload store.</param>
/// <param name="Layout">The model's safetensors header.</param>
/// <param name="StrategyStateSha256">The strategy state saved with this version, if its strategy keeps one.</param>
public sealed record ModelVersion(int Version, string Sha256, SafeTensorsLayout Layout, string? StrategyStateSha256 = null);
