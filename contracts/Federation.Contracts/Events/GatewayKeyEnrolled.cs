namespace Federation.Contracts.Events;

/// <summary>
/// An operator enrolled a gateway's Ed25519 public key: contributions and reports signed with it
/// are accepted from <paramref name="EnrolledAt"/> on, until the key is rotated away or revoked.
/// The first enrolment of a gateway id makes the gateway known.
/// </summary>
/// <param name="GatewayId">The gateway.</param>
/// <param name="KeyId">SHA-256 of the public key, lowercase hex.</param>
/// <param name="PublicKey">The 32-byte Ed25519 public key, base64.</param>
/// <param name="AllowedPolicies">SHA-256 hashes of the policy files the gateway may release under; a contribution naming another is rejected.</param>
/// <param name="EnrolledBy">Who enrolled it: the operator credential's name, or <c>configuration</c> for keys listed in the aggregator's settings.</param>
/// <param name="EnrolledAt">When.</param>
public sealed record GatewayKeyEnrolled(
    string GatewayId,
    string KeyId,
    string PublicKey,
    IReadOnlyList<string> AllowedPolicies,
    string EnrolledBy,
    DateTimeOffset EnrolledAt) : IFederationEvent;
