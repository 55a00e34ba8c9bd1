using System.Globalization;
using System.Text;
using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// The gateway keys as the history's key events made them (one <see cref="KeyHistory"/> fold, in log order), for answering
/// provenance questions: which key signed an accepted event, was it valid when the event was
/// received (given the key events before it), does the signature verify, and was the key revoked
/// later. It reports, it does not judge the bundle: <see cref="BundleVerifier"/> does that.
/// </summary>
public sealed class KeyTimeline
{
    private readonly Dictionary<long, SignedStatus> statuses = [];
    private IReadOnlyDictionary<string, KeyLife> lives = new Dictionary<string, KeyLife>();

    private KeyTimeline()
    {
    }

    /// <summary>The registry after every key event of the history.</summary>
    public GatewayRegistry Final { get; private set; } = GatewayRegistry.Empty;

    /// <summary>Every key the history enrols, by key id, with where its life is recorded.</summary>
    public IReadOnlyDictionary<string, KeyLife> Keys => lives;

    /// <summary>Folds the key events of <paramref name="history"/> and judges every signed event against the keys before it.</summary>
    public static KeyTimeline Of(IEnumerable<HistoryEntry> history)
    {
        var timeline = new KeyTimeline();
        var keys = new KeyHistory();
        var signed = new List<(long Position, string KeyId, string Document, string Signature)>();
        foreach (var entry in history)
        {
            var position = entry.Recorded.Position;
            switch (entry.Event)
            {
                case var keyEvent when KeyHistory.IsKeyEvent(keyEvent):
                    try
                    {
                        keys.Apply(position, keyEvent);
                    }
                    catch (Exception error) when (error is InvalidDataException or FormatException)
                    {
                        // A broken key event: fedctl audit verify names it; here the key simply stays unknown.
                    }

                    break;
                case ContributionAccepted accepted:
                    timeline.statuses[position] = Judge(keys, position, accepted.GatewayId, accepted.KeyId, accepted.ReceivedAt, accepted.PolicySha256);
                    signed.Add((position, accepted.KeyId, accepted.Manifest, accepted.Signature));
                    break;
                case EvaluationRecorded evaluation:
                    timeline.statuses[position] = Judge(keys, position, evaluation.GatewayId, evaluation.KeyId, evaluation.RecordedAt, null);
                    signed.Add((position, evaluation.KeyId, evaluation.Report, evaluation.Signature));
                    break;
            }
        }

        timeline.Final = keys.Registry;
        timeline.lives = keys.Keys;
        foreach (var (position, keyId, document, signature) in signed)
        {
            var status = timeline.statuses[position];
            var key = keys.Keys.GetValueOrDefault(keyId);
            timeline.statuses[position] = status with { SignatureVerifies = key is not null && Verifies(key.PublicKey, document, signature), Life = key };
        }

        return timeline;
    }

    /// <summary>What the history says about the signed event (accepted contribution or recorded evaluation) at <paramref name="position"/>, or null.</summary>
    public SignedStatus? At(long position) => statuses.GetValueOrDefault(position);

    private static SignedStatus Judge(KeyHistory keys, long position, string gatewayId, string keyId, DateTimeOffset at, string? policySha256)
    {
        var registry = keys.Registry;
        var key = registry.FindValidKey(gatewayId, keyId, at, out var rejection);
        string? problem = key is null ? rejection!.Detail : null;
        if (key is not null && keys.Keys.GetValueOrDefault(keyId)?.RevokedPosition is { } revoked && revoked < position)
        {
            problem = $"Key {keyId} was revoked at position {revoked}, before this event.";
        }

        if (problem is null && policySha256 is not null && registry.Find(gatewayId) is { } gateway && !gateway.AllowedPolicies.Contains(policySha256))
        {
            problem = $"Policy {policySha256} was not allowed for gateway '{gatewayId}' at this position.";
        }

        return new SignedStatus(position, gatewayId, keyId, problem, false, null);
    }

    private static bool Verifies(byte[] publicKey, string document, string signature)
    {
        var bytes = new byte[Ed25519.SignatureLength + 3];
        return Convert.TryFromBase64String(signature, bytes, out var length) && length == Ed25519.SignatureLength
            && Ed25519.Verify(publicKey, Encoding.UTF8.GetBytes(document), bytes.AsSpan(0, length));
    }
}

/// <summary>One key's life as the key events record it.</summary>
/// <param name="GatewayId">Its gateway.</param>
/// <param name="KeyId">SHA-256 of the public key, hex.</param>
/// <param name="PublicKey">The 32-byte Ed25519 public key.</param>
/// <param name="EnrolledPosition">Position of the event that enrolled it (an enrolment or the rotation to it).</param>
/// <param name="EnrolledAt">Valid from.</param>
public sealed record KeyLife(string GatewayId, string KeyId, byte[] PublicKey, long EnrolledPosition, DateTimeOffset EnrolledAt)
{
    /// <summary>Position of the rotation that retired it, or null.</summary>
    public long? RotatedPosition { get; init; }

    /// <summary>End of its overlap after that rotation, or null.</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>Position of its revocation, or null.</summary>
    public long? RevokedPosition { get; init; }

    /// <summary>When it was revoked, or null.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Why it was revoked, or null.</summary>
    public string? RevokedReason { get; init; }

    /// <summary>The key's life on one line: enrolled, rotated, revoked, with positions.</summary>
    public string Describe() =>
        $"enrolled {EnrolledAt.ToString("u", CultureInfo.InvariantCulture)} (position {EnrolledPosition})" +
        (RotatedPosition is { } rotated ? $", rotated away at position {rotated}, valid until {ValidUntil?.ToString("u", CultureInfo.InvariantCulture)}" : "") +
        (RevokedPosition is { } revoked ? $", revoked {RevokedAt?.ToString("u", CultureInfo.InvariantCulture)} (position {revoked}: {RevokedReason})" : "");
}

/// <summary>What the key events say about one signed event.</summary>
/// <param name="Position">The signed event's position.</param>
/// <param name="GatewayId">The gateway it names.</param>
/// <param name="KeyId">The key it names.</param>
/// <param name="Problem">Why the key could not sign it then (unknown, retired, revoked, policy not allowed), or null when it could.</param>
/// <param name="SignatureVerifies">Whether the signature verifies with that key over the signed document.</param>
/// <param name="Life">The key's life, or null when no key event enrols it.</param>
public sealed record SignedStatus(long Position, string GatewayId, string KeyId, string? Problem, bool SignatureVerifies, KeyLife? Life)
{
    /// <summary>How the key stood: valid, signed before a later revocation or rotation, or the problem.</summary>
    public string KeyStatus =>
        Problem is not null ? $"NOT VALID AT RECEIPT: {Problem}"
        : Life?.RevokedPosition is { } revoked ? $"signed before revocation (key revoked {Life.RevokedAt?.ToString("u", CultureInfo.InvariantCulture)} at position {revoked}: {Life.RevokedReason})"
        : Life?.RotatedPosition is { } rotated ? $"valid; key rotated away later (position {rotated})"
        : "valid, key still current";
}
