namespace Federation.Contracts.Events;

/// <summary>
/// A contribution failed a check. Fields the aggregator could not establish are null: a
/// malformed manifest has no trustworthy round or gateway. Claimed values are recorded as
/// claimed, even when the signature did not verify.
/// </summary>
/// <param name="Round">The round the manifest names, if it could be read.</param>
/// <param name="GatewayId">The gateway the manifest names, if it could be read.</param>
/// <param name="KeyId">The key the manifest names, if it could be read.</param>
/// <param name="PayloadSha256">SHA-256 of the payload as received.</param>
/// <param name="Reason">Machine-readable reason.</param>
/// <param name="Detail">What exactly was wrong, for a person to act on.</param>
/// <param name="Manifest">The manifest as received (may be malformed).</param>
/// <param name="Signature">The signature as received.</param>
/// <param name="ReceivedAt">When the aggregator checked it.</param>
public sealed record ContributionRejected(
    int? Round,
    string? GatewayId,
    string? KeyId,
    string PayloadSha256,
    RejectionReason Reason,
    string Detail,
    string Manifest,
    string Signature,
    DateTimeOffset ReceivedAt) : IFederationEvent;
