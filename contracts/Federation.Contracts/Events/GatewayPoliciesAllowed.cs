namespace Federation.Contracts.Events;

/// <summary>An operator replaced the list of policy files a gateway may release updates under.</summary>
/// <param name="GatewayId">The gateway.</param>
/// <param name="AllowedPolicies">SHA-256 hashes of the allowed policy files, lowercase hex; the whole new list.</param>
/// <param name="ChangedBy">The operator credential's name.</param>
/// <param name="ChangedAt">When.</param>
public sealed record GatewayPoliciesAllowed(
    string GatewayId,
    IReadOnlyList<string> AllowedPolicies,
    string ChangedBy,
    DateTimeOffset ChangedAt) : IFederationEvent;
