using NSec.Cryptography;

namespace Federation.Trust;

/// <summary>
/// Ed25519 (RFC 8032) signature checks against a raw 32-byte public key.
/// </summary>
/// <remarks>
/// The arithmetic is libsodium's, reached through NSec.Cryptography, which ships the
/// native library in its package: nothing has to be installed on the host.
/// </remarks>
public static class Ed25519
{
    /// <summary>Length in bytes of a seed, the RFC 8032 "secret key".</summary>
    public const int SeedLength = 32;

    /// <summary>Length in bytes of a raw public key.</summary>
    public const int PublicKeyLength = 32;

    /// <summary>Length in bytes of a detached signature.</summary>
    public const int SignatureLength = 64;

    /// <summary>NSec's Ed25519; one instance serves every caller and thread.</summary>
    internal static SignatureAlgorithm Algorithm => SignatureAlgorithm.Ed25519;

    /// <summary>
    /// Checks that <paramref name="signature"/> was made over <paramref name="message"/>
    /// by the private key belonging to <paramref name="publicKey"/>.
    /// </summary>
    /// <param name="publicKey">Raw 32-byte Ed25519 public key.</param>
    /// <param name="message">The exact bytes that were signed.</param>
    /// <param name="signature">64-byte detached signature.</param>
    /// <returns>
    /// True only for a valid signature. A key or signature of the wrong length is
    /// answered with false rather than an exception: verification sees untrusted
    /// input, and "not valid" is the honest answer for malformed input too.
    /// </returns>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        return PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            && Algorithm.Verify(key!, message, signature);
    }
}
