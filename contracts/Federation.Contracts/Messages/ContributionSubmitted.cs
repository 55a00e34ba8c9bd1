using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// A gateway's signed model update for one round. Only this leaves the factory: the update
/// tensors and a manifest describing them, never raw data.
/// </summary>
/// <param name="Manifest">
/// The <see cref="Signing.ContributionManifest"/> as RFC 8785 canonical JSON: exactly the bytes
/// that were signed (see docs/FORMATS.md).
/// </param>
/// <param name="Signature">Ed25519 signature over the UTF-8 bytes of <paramref name="Manifest"/>, base64.</param>
/// <param name="Payload">The update (local weights minus base weights) as safetensors bytes.</param>
[MessageUrn("federation:contribution-submitted:v1")]
public sealed record ContributionSubmitted(string Manifest, string Signature, byte[] Payload);
