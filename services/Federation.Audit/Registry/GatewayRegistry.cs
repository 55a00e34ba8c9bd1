using System.Collections.Immutable;
using Federation.Audit;
using Federation.Contracts.Api;
using Federation.Contracts.Events;

namespace Federation.Audit.Registry;

/// <summary>
/// Who may sign for which gateway, folded from the key events of the history
/// (<see cref="GatewayKeyEnrolled"/>, <see cref="GatewayKeyRotated"/>, <see cref="GatewayKeyRevoked"/>,
/// <see cref="GatewayPoliciesAllowed"/>). Immutable: every event gives a new registry, so a check
/// always sees one consistent state. The same fold serves the aggregator and the offline verifier.
/// </summary>
public sealed record GatewayRegistry
{
    /// <summary>A registry that knows no gateway.</summary>
    public static GatewayRegistry Empty { get; } = new();

    /// <summary>Every gateway ever enrolled, by id.</summary>
    public ImmutableSortedDictionary<string, RegisteredGateway> Gateways { get; init; } =
        ImmutableSortedDictionary.Create<string, RegisteredGateway>(StringComparer.Ordinal);

    /// <summary>The gateway with this id, or null.</summary>
    public RegisteredGateway? Find(string gatewayId) => Gateways.GetValueOrDefault(gatewayId);

    /// <summary>Gateways with at least one key valid at <paramref name="at"/>, in id order: those a round can invite.</summary>
    public IReadOnlyList<string> ActiveIds(DateTimeOffset at) =>
        [.. Gateways.Values.Where(gateway => gateway.Keys.Any(key => key.IsValidAt(at))).Select(gateway => gateway.GatewayId)];

    /// <summary>The registry after one more event; other events leave it unchanged.</summary>
    /// <exception cref="InvalidDataException">The event contradicts the registry (e.g. rotates a key the gateway does not have).</exception>
    public GatewayRegistry Apply(IFederationEvent @event) => @event switch
    {
        GatewayKeyEnrolled enrolled => With(
            (Find(enrolled.GatewayId) ?? new RegisteredGateway(enrolled.GatewayId, [], enrolled.AllowedPolicies.ToImmutableArray()))
                .AddKey(new EnrolledKey(enrolled.KeyId, Convert.FromBase64String(enrolled.PublicKey), enrolled.EnrolledAt, null, null))
                with { AllowedPolicies = [.. enrolled.AllowedPolicies] }),
        GatewayKeyRotated rotated => With(Require(rotated.GatewayId)
            .ChangeKey(rotated.OldKeyId, key => key with { ValidUntil = rotated.OldKeyValidUntil })
            .AddKey(new EnrolledKey(rotated.NewKeyId, Convert.FromBase64String(rotated.NewPublicKey), rotated.RotatedAt, null, null))),
        GatewayKeyRevoked revoked => With(Require(revoked.GatewayId)
            .ChangeKey(revoked.KeyId, key => key with { RevokedAt = revoked.RevokedAt })),
        GatewayPoliciesAllowed allowed => With(Require(allowed.GatewayId) with { AllowedPolicies = [.. allowed.AllowedPolicies] }),
        _ => this,
    };

    /// <summary>
    /// Checks that <paramref name="keyId"/> may sign for <paramref name="gatewayId"/> at
    /// <paramref name="at"/>; returns the key, or null and the reason it may not.
    /// </summary>
    public EnrolledKey? FindValidKey(string gatewayId, string keyId, DateTimeOffset at, out Rejection? rejection)
    {
        rejection = null;
        if (Find(gatewayId) is not { } gateway)
        {
            rejection = new Rejection(RejectionReason.UnknownGateway, $"Gateway '{gatewayId}' is not enrolled with this aggregator.");
            return null;
        }

        var key = gateway.Keys.FirstOrDefault(candidate => candidate.KeyId == keyId);
        rejection = key switch
        {
            null => new Rejection(RejectionReason.UnknownKey,
                $"Key {keyId} was never enrolled for gateway '{gatewayId}' (its keys: {string.Join(", ", gateway.Keys.Select(candidate => candidate.KeyId))})."),
            { RevokedAt: { } revokedAt } when revokedAt <= at => new Rejection(RejectionReason.RevokedKey,
                $"Key {keyId} of gateway '{gatewayId}' was revoked at {revokedAt:O}; anything it signs now is refused."),
            { ValidUntil: { } validUntil } when validUntil < at => new Rejection(RejectionReason.RetiredKey,
                $"Key {keyId} of gateway '{gatewayId}' was rotated away; its overlap ended at {validUntil:O}. Sign with the gateway's new key."),
            { EnrolledAt: var enrolledAt } when enrolledAt > at => new Rejection(RejectionReason.UnknownKey,
                $"Key {keyId} of gateway '{gatewayId}' is only valid from {enrolledAt:O}."),
            _ => null,
        };
        return rejection is null ? key : null;
    }

    private GatewayRegistry With(RegisteredGateway gateway) => this with { Gateways = Gateways.SetItem(gateway.GatewayId, gateway) };

    private RegisteredGateway Require(string gatewayId) =>
        Find(gatewayId) ?? throw new InvalidDataException($"A key event names gateway '{gatewayId}', which was never enrolled.");
}

/// <summary>An enrolled gateway: its keys, past and present, and the policies it may release under.</summary>
/// <param name="GatewayId">The gateway id.</param>
/// <param name="Keys">Every key ever enrolled for it, in enrolment order.</param>
/// <param name="AllowedPolicies">SHA-256 hashes of the policy files it may release updates under.</param>
public sealed record RegisteredGateway(string GatewayId, ImmutableArray<EnrolledKey> Keys, ImmutableArray<string> AllowedPolicies)
{
    /// <summary>The key enrolled most recently that is valid at <paramref name="at"/>, or null.</summary>
    public EnrolledKey? CurrentKey(DateTimeOffset at) => Keys.LastOrDefault(key => key.IsValidAt(at));

    /// <summary>Every key, in enrolment order, as the API lists them (<c>GET /api/gateways</c>).</summary>
    public IEnumerable<GatewayKey> ListedKeys() =>
        Keys.Select(key => new GatewayKey(GatewayId, Convert.ToBase64String(key.PublicKey), key.KeyId, key.EnrolledAt, key.ValidUntil, key.RevokedAt));

    internal RegisteredGateway AddKey(EnrolledKey key) =>
        Keys.Any(existing => existing.KeyId == key.KeyId)
            ? throw new InvalidDataException($"Key {key.KeyId} is already enrolled for gateway '{GatewayId}'.")
            : this with { Keys = Keys.Add(key) };

    internal RegisteredGateway ChangeKey(string keyId, Func<EnrolledKey, EnrolledKey> change)
    {
        var index = Keys.ToList().FindIndex(key => key.KeyId == keyId);
        return index < 0
            ? throw new InvalidDataException($"Gateway '{GatewayId}' has no key {keyId}.")
            : this with { Keys = Keys.SetItem(index, change(Keys[index])) };
    }
}

/// <summary>One enrolled key and its life.</summary>
/// <param name="KeyId">SHA-256 of the public key, lowercase hex.</param>
/// <param name="PublicKey">The 32-byte Ed25519 public key.</param>
/// <param name="EnrolledAt">Valid from.</param>
/// <param name="ValidUntil">When it was rotated away: valid until this instant; null while current.</param>
/// <param name="RevokedAt">When it was revoked; null if never.</param>
public sealed record EnrolledKey(string KeyId, byte[] PublicKey, DateTimeOffset EnrolledAt, DateTimeOffset? ValidUntil, DateTimeOffset? RevokedAt)
{
    /// <summary>True when the key may sign at <paramref name="at"/>.</summary>
    public bool IsValidAt(DateTimeOffset at) =>
        EnrolledAt <= at && (ValidUntil is null || at <= ValidUntil) && (RevokedAt is null || at < RevokedAt);
}
