using Federation.Audit.Registry;
using Federation.Contracts.Events;

namespace Federation.Audit.Bundles;

/// <summary>
/// The one fold of a history's key events for auditing: the <see cref="GatewayRegistry"/> fold (the
/// same one the aggregator checks signatures against), plus where in the log each key's life is
/// recorded. <see cref="BundleVerifier"/> and <see cref="KeyTimeline"/> both read the keys from it.
/// </summary>
public sealed class KeyHistory
{
    private readonly Dictionary<string, KeyLife> lives = new(StringComparer.Ordinal);

    /// <summary>The registry after the key events applied so far.</summary>
    public GatewayRegistry Registry { get; private set; } = GatewayRegistry.Empty;

    /// <summary>Every key enrolled so far, by key id, in enrolment order.</summary>
    public IReadOnlyDictionary<string, KeyLife> Keys => lives;

    /// <summary>Whether <paramref name="event"/> is a key event (enrolled, rotated, revoked, policies allowed).</summary>
    public static bool IsKeyEvent(IFederationEvent @event) =>
        @event is GatewayKeyEnrolled or GatewayKeyRotated or GatewayKeyRevoked or GatewayPoliciesAllowed;

    /// <summary>The gateway a key event concerns.</summary>
    /// <exception cref="ArgumentException">Not a key event.</exception>
    public static string GatewayOf(IFederationEvent keyEvent) => keyEvent switch
    {
        GatewayKeyEnrolled enrolled => enrolled.GatewayId,
        GatewayKeyRotated rotated => rotated.GatewayId,
        GatewayKeyRevoked revoked => revoked.GatewayId,
        GatewayPoliciesAllowed allowed => allowed.GatewayId,
        _ => throw new ArgumentException("Not a key event.", nameof(keyEvent)),
    };

    /// <summary>The instant a key event states for itself (enrolled, rotated, revoked or changed at).</summary>
    /// <exception cref="ArgumentException">Not a key event.</exception>
    public static DateTimeOffset TimeOf(IFederationEvent keyEvent) => keyEvent switch
    {
        GatewayKeyEnrolled enrolled => enrolled.EnrolledAt,
        GatewayKeyRotated rotated => rotated.RotatedAt,
        GatewayKeyRevoked revoked => revoked.RevokedAt,
        GatewayPoliciesAllowed allowed => allowed.ChangedAt,
        _ => throw new ArgumentException("Not a key event.", nameof(keyEvent)),
    };

    /// <summary>Applies the key event at <paramref name="position"/>; on an exception nothing changes.</summary>
    /// <exception cref="InvalidDataException">The event contradicts the key events before it.</exception>
    /// <exception cref="FormatException">A public key is not base64.</exception>
    public void Apply(long position, IFederationEvent keyEvent)
    {
        Registry = Registry.Apply(keyEvent);
        switch (keyEvent)
        {
            case GatewayKeyEnrolled enrolled:
                lives[enrolled.KeyId] = new KeyLife(enrolled.GatewayId, enrolled.KeyId, Convert.FromBase64String(enrolled.PublicKey), position, enrolled.EnrolledAt);
                break;
            case GatewayKeyRotated rotated:
                lives[rotated.NewKeyId] = new KeyLife(rotated.GatewayId, rotated.NewKeyId, Convert.FromBase64String(rotated.NewPublicKey), position, rotated.RotatedAt);
                if (lives.TryGetValue(rotated.OldKeyId, out var old))
                {
                    lives[rotated.OldKeyId] = old with { RotatedPosition = position, ValidUntil = rotated.OldKeyValidUntil };
                }

                break;
            case GatewayKeyRevoked revoked when lives.TryGetValue(revoked.KeyId, out var life):
                lives[revoked.KeyId] = life with { RevokedPosition = position, RevokedAt = revoked.RevokedAt, RevokedReason = revoked.Reason };
                break;
        }
    }
}
