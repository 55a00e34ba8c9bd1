namespace Federation.Contracts.Api;

/// <summary>One enrolled key as the API shows it (docs/FORMATS.md sections 1 and 10): every key a gateway ever had is listed.</summary>
/// <param name="Id">The gateway id that its manifests name.</param>
/// <param name="PublicKey">Its raw 32-byte Ed25519 public key, base64.</param>
/// <param name="KeyId">SHA-256 of the raw public key, lowercase hex: the <c>keyId</c> its manifests name.</param>
/// <param name="EnrolledAt">Valid from.</param>
/// <param name="ValidUntil">End of the overlap after a rotation; null while current.</param>
/// <param name="RevokedAt">When it was revoked; null if never.</param>
public sealed record GatewayKey(string Id, string PublicKey, string KeyId, DateTimeOffset EnrolledAt, DateTimeOffset? ValidUntil, DateTimeOffset? RevokedAt);

/// <summary>Enrol a gateway with its first key.</summary>
/// <param name="Id">The gateway id its manifests will name.</param>
/// <param name="PublicKey">Its Ed25519 public key, base64 (from <c>fedctl keys init</c>).</param>
/// <param name="AllowedPolicies">SHA-256 of each policy file it may release under.</param>
public sealed record EnrolRequest(string Id, string PublicKey, List<string>? AllowedPolicies);

/// <summary>Replace a gateway's key.</summary>
/// <param name="PublicKey">The new Ed25519 public key, base64.</param>
/// <param name="OverlapHours">How long the old key stays valid; 24 hours when left out.</param>
public sealed record RotateRequest(string PublicKey, double? OverlapHours);

/// <summary>Revoke a key.</summary>
/// <param name="Reason">Why; auditors read it.</param>
public sealed record RevokeRequest(string Reason);

/// <summary>Replace a gateway's allowed policies.</summary>
/// <param name="AllowedPolicies">SHA-256 of each policy file it may release under.</param>
public sealed record AllowPoliciesRequest(List<string>? AllowedPolicies);
