using Federation.Contracts.Events;
using Federation.Policies;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// (3) Every key event is well formed, sits in its gateway's stream, and fits the key history before
/// it; the valid ones are folded into <see cref="History"/>, which the signature check reads.
/// </summary>
internal sealed class KeyEventCheck(Findings findings)
{
    private readonly Dictionary<string, long> invalidGateways = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> invalidKeys = new(StringComparer.Ordinal);

    /// <summary>The fold of the valid key events so far.</summary>
    public KeyHistory History { get; } = new();

    /// <summary>Key events read.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// The position of the invalid key event that makes <paramref name="keyId"/> (or, for a key no event
    /// enrolled, <paramref name="gatewayId"/>) impossible to check against, or null.
    /// </summary>
    public long? InvalidKeyEvent(string gatewayId, string keyId) =>
        invalidKeys.TryGetValue(keyId, out var position) || (!History.Keys.ContainsKey(keyId) && invalidGateways.TryGetValue(gatewayId, out position))
            ? position
            : null;

    public void Check(BundleEvent keyEvent)
    {
        Count++;
        var (position, where) = (keyEvent.Position, keyEvent.Where);
        var gatewayId = KeyHistory.GatewayOf(keyEvent.Event);
        if (keyEvent.Recorded.StreamId != EventStreams.Gateway(gatewayId))
        {
            findings.Add(3, $"{where}, field streamId", $"is '{keyEvent.Recorded.StreamId}', but a key event of gateway '{gatewayId}' belongs in stream '{EventStreams.Gateway(gatewayId)}'.");
        }

        var valid = true;
        switch (keyEvent.Event)
        {
            case GatewayKeyEnrolled enrolled:
                valid = CheckPublicKey(keyEvent, "publicKey", "keyId", enrolled.PublicKey, enrolled.KeyId) & CheckPolicies(keyEvent, enrolled.AllowedPolicies);
                if (History.Registry.Find(gatewayId) is not null)
                {
                    findings.Add(3, keyEvent.Field("gatewayId"), $"gateway '{gatewayId}' is already enrolled (position {History.Keys.Values.FirstOrDefault(life => life.GatewayId == gatewayId)?.EnrolledPosition}); a further key comes by rotation.");
                    valid = false;
                }

                valid &= CheckUnused(keyEvent, "keyId", enrolled.KeyId);
                if (!valid)
                {
                    invalidGateways.TryAdd(gatewayId, position);
                    invalidKeys.TryAdd(enrolled.KeyId, position);
                }

                break;
            case GatewayKeyRotated rotated:
                valid = CheckPublicKey(keyEvent, "newPublicKey", "newKeyId", rotated.NewPublicKey, rotated.NewKeyId) & CheckUnused(keyEvent, "newKeyId", rotated.NewKeyId);
                if (rotated.OldKeyValidUntil < rotated.RotatedAt)
                {
                    findings.Add(3, keyEvent.Field("oldKeyValidUntil"), $"is {rotated.OldKeyValidUntil:O}, before the rotation itself ({rotated.RotatedAt:O}).");
                }

                if (!valid)
                {
                    invalidKeys.TryAdd(rotated.NewKeyId, position);
                }

                break;
            case GatewayPoliciesAllowed allowed:
                valid = CheckPolicies(keyEvent, allowed.AllowedPolicies);
                break;
        }

        // A gateway whose enrolment was invalid is already reported; its later key events cannot apply.
        if (!valid || (invalidGateways.ContainsKey(gatewayId) && History.Registry.Find(gatewayId) is null))
        {
            return;
        }

        try
        {
            History.Apply(position, keyEvent.Event);
        }
        catch (InvalidDataException error)
        {
            findings.Add(3, where, $"does not fit the key events before it: {error.Message}");
        }
    }

    private bool CheckPublicKey(BundleEvent keyEvent, string keyField, string idField, string publicKeyText, string keyId)
    {
        var publicKey = new byte[Ed25519.PublicKeyLength + 3];
        if (!Convert.TryFromBase64String(publicKeyText, publicKey, out var length) || length != Ed25519.PublicKeyLength)
        {
            findings.Add(3, keyEvent.Field(keyField), "is not base64 of a 32-byte Ed25519 public key.");
            return false;
        }

        var actual = KeyId.Of(publicKey.AsSpan(0, length).ToArray());
        if (actual != keyId)
        {
            findings.Add(3, keyEvent.Field(keyField), $"hashes to key id {actual}, but the event's {idField} is {keyId}: the key or its id was changed.");
            return false;
        }

        return true;
    }

    private bool CheckUnused(BundleEvent keyEvent, string idField, string keyId)
    {
        if (History.Keys.TryGetValue(keyId, out var earlier))
        {
            findings.Add(3, keyEvent.Field(idField), $"key {keyId} was already enrolled at position {earlier.EnrolledPosition} (gateway '{earlier.GatewayId}'); a key is enrolled once, for one gateway.");
            return false;
        }

        return true;
    }

    private bool CheckPolicies(BundleEvent keyEvent, IReadOnlyList<string> policies)
    {
        if (policies.Count == 0 || !policies.All(PolicyHash.IsWellFormed))
        {
            findings.Add(3, keyEvent.Field("allowedPolicies"), "must list at least one policy file SHA-256 (64 lowercase hex digits).");
            return false;
        }

        return true;
    }
}
