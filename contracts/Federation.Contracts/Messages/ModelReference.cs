namespace Federation.Contracts.Messages;

/// <summary>
/// A model named by its content: gateways fetch the bytes in ranges from the aggregator and check the hash while
/// writing them to disk (docs/FORMATS.md, model download). Models never travel inline, so any size can be announced.
/// </summary>
/// <param name="Sha256">SHA-256 of the model's safetensors bytes, lowercase hex.</param>
/// <param name="Bytes">Length of those bytes.</param>
public sealed record ModelReference(string Sha256, long Bytes);
