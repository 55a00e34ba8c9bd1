namespace Federation.Contracts.Events;

/// <summary>
/// An operator replaced a gateway's key: the new key is valid from <paramref name="RotatedAt"/>,
/// the old one stays valid until <paramref name="OldKeyValidUntil"/> so contributions signed
/// just before the switch still count.
/// </summary>
/// <param name="GatewayId">The gateway.</param>
/// <param name="OldKeyId">The key being retired.</param>
/// <param name="NewKeyId">SHA-256 of the new public key, lowercase hex.</param>
/// <param name="NewPublicKey">The new 32-byte Ed25519 public key, base64.</param>
/// <param name="OldKeyValidUntil">End of the overlap: after it, the old key is refused as retired.</param>
/// <param name="RotatedBy">The operator credential's name.</param>
/// <param name="RotatedAt">When.</param>
public sealed record GatewayKeyRotated(
    string GatewayId,
    string OldKeyId,
    string NewKeyId,
    string NewPublicKey,
    DateTimeOffset OldKeyValidUntil,
    string RotatedBy,
    DateTimeOffset RotatedAt) : IFederationEvent;
