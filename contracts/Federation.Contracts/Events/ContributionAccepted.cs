namespace Federation.Contracts.Events;

/// <summary>A contribution passed every check; its payload is kept in the payload store under its hash.</summary>
/// <param name="Round">The round.</param>
/// <param name="GatewayId">The contributing gateway.</param>
/// <param name="KeyId">The key that signed it.</param>
/// <param name="PayloadSha256">SHA-256 of the payload, its name in the payload store.</param>
/// <param name="PayloadBytes">Payload length.</param>
/// <param name="SampleCount">Local samples behind the update.</param>
/// <param name="Sequence">The gateway's contribution counter from the manifest; later contributions must exceed it.</param>
/// <param name="PolicySha256">SHA-256 of the gateway's policy file the update was released under, from the manifest.</param>
/// <param name="Manifest">The signed manifest, byte-exact as received.</param>
/// <param name="Signature">The Ed25519 signature, base64.</param>
/// <param name="ReceivedAt">When the aggregator checked it.</param>
public sealed record ContributionAccepted(
    int Round,
    string GatewayId,
    string KeyId,
    string PayloadSha256,
    long PayloadBytes,
    long SampleCount,
    long Sequence,
    string PolicySha256,
    string Manifest,
    string Signature,
    DateTimeOffset ReceivedAt) : IFederationEvent;
