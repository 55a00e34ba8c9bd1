namespace Federation.Trust;

/// <summary>
/// Names a public key by its hash, so keys can be referred to in logs, manifests
/// and trust lists without copying the key itself around.
/// </summary>
public static class KeyId
{
    /// <summary>
    /// Lowercase hex SHA-256 of the raw 32-byte Ed25519 public key (64 characters).
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static string Of(ReadOnlySpan<byte> publicKey)
    {
        // Hashing anything else (a DER blob, a 64-byte secret key) would still give a
        // plausible-looking id, so refuse instead of producing one that never matches.
        if (publicKey.Length != Ed25519.PublicKeyLength)
        {
            throw new ArgumentException(
                $"An Ed25519 public key is {Ed25519.PublicKeyLength} bytes, not {publicKey.Length}.", nameof(publicKey));
        }

        return Sha256Hex.Of(publicKey);
    }
}
