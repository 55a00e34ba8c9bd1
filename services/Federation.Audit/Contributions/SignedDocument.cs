using System.Text.Json;
using System.Text;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Contracts;
using Federation.Trust;

namespace Federation.Audit.Contributions;

/// <summary>
/// Reads and authenticates a signed document (a contribution manifest or an evaluation report):
/// strict JSON of the expected type, RFC 8785 canonical form, an enrolled gateway and key, and
/// an Ed25519 signature over exactly the received bytes.
/// </summary>
public static class SignedDocument
{
    /// <summary>Parses <paramref name="json"/> strictly as <typeparamref name="T"/>; null and a rejection when it is not.</summary>
    public static T? Parse<T>(string json, string expectedType, Func<T, string> typeOf, out Rejection? rejection)
        where T : class
    {
        rejection = null;
        T? document;
        try
        {
            document = JsonSerializer.Deserialize<T>(json, FederationJson.Options);
        }
        catch (JsonException error)
        {
            rejection = new Rejection(RejectionReason.MalformedManifest, $"Not a valid {typeof(T).Name}: {error.Message}");
            return null;
        }

        if (document is null)
        {
            rejection = new Rejection(RejectionReason.MalformedManifest, $"The {typeof(T).Name} is JSON null.");
            return null;
        }

        if (typeOf(document) != expectedType)
        {
            rejection = new Rejection(RejectionReason.MalformedManifest, $"Document type is '{typeOf(document)}'; expected '{expectedType}'.");
            return null;
        }

        // The signature covers these exact bytes; accepting a non-canonical form would let two
        // different byte strings stand for one document.
        var bytes = Encoding.UTF8.GetBytes(json);
        try
        {
            if (JsonCanonicalizer.Canonicalize(bytes).AsSpan().SequenceEqual(bytes))
            {
                return document;
            }
        }
        catch (JsonException error)
        {
            // For example duplicate member names, which a lenient parser would have let through.
            rejection = new Rejection(RejectionReason.MalformedManifest, $"The document cannot be canonicalized: {error.Message}");
            return null;
        }

        rejection = new Rejection(RejectionReason.MalformedManifest, "The document is not in RFC 8785 canonical form (see docs/FORMATS.md).");
        return null;
    }

    /// <summary>
    /// Checks the signer is enrolled with a key valid at <paramref name="at"/> and the signature
    /// verifies; returns the gateway's registration, or null and the reason.
    /// </summary>
    public static RegisteredGateway? Authenticate(
        GatewayRegistry registry, string gatewayId, string keyId, string json, string signature, DateTimeOffset at, out Rejection? rejection)
    {
        var key = registry.FindValidKey(gatewayId, keyId, at, out rejection);
        if (key is null)
        {
            return null;
        }

        rejection = VerifySignature(key, gatewayId, json, signature);
        return rejection is null ? registry.Find(gatewayId) : null;
    }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="key"/>'s Ed25519 signature over exactly <paramref name="json"/>; null when it is, else why not.</summary>
    public static Rejection? VerifySignature(EnrolledKey key, string gatewayId, string json, string signature)
    {
        var signatureBytes = new byte[64];
        if (!Convert.TryFromBase64String(signature, signatureBytes, out var length) || length != 64)
        {
            return new Rejection(RejectionReason.BadSignature, "The signature is not 64 bytes of base64.");
        }

        return Ed25519.Verify(key.PublicKey, Encoding.UTF8.GetBytes(json), signatureBytes)
            ? null
            : new Rejection(RejectionReason.BadSignature, $"The Ed25519 signature does not verify against key {key.KeyId} of gateway '{gatewayId}'.");
    }
}
