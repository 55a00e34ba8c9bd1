namespace Federation.Contracts.Events;

/// <summary>
/// An operator revoked a gateway's key (lost, stolen, decommissioned): anything signed with it
/// that arrives later is rejected. Contributions accepted before stay valid, and the history
/// shows they came before the revocation.
/// </summary>
/// <param name="GatewayId">The gateway.</param>
/// <param name="KeyId">The revoked key.</param>
/// <param name="Reason">Why, in the operator's words.</param>
/// <param name="RevokedBy">The operator credential's name.</param>
/// <param name="RevokedAt">When.</param>
public sealed record GatewayKeyRevoked(
    string GatewayId,
    string KeyId,
    string Reason,
    string RevokedBy,
    DateTimeOffset RevokedAt) : IFederationEvent;
