using System.Security.Cryptography;

namespace Federation.Trust;

/// <summary>
/// An Ed25519 signing key and its public key.
/// </summary>
/// <remarks>
/// The private part lives in one pinned array that <see cref="Dispose"/> zeroes.
/// Pinning keeps the garbage collector from moving it, which would leave copies of
/// the key behind in memory that nothing could wipe.
/// </remarks>
public sealed class Ed25519KeyPair : IDisposable
{
    // libsodium's layout: the 32-byte seed followed by the 32-byte public key.
    private readonly byte[] _secretKey;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private Ed25519KeyPair(byte[] secretKey, byte[] publicKey)
    {
        _secretKey = secretKey;
        _publicKey = publicKey;
        KeyId = Trust.KeyId.Of(publicKey);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The key's identifier: see <see cref="Trust.KeyId.Of"/>.</summary>
    public string KeyId { get; }

    /// <summary>Creates a new key pair from a fresh random seed.</summary>
    public static Ed25519KeyPair Generate()
    {
        Span<byte> seed = stackalloc byte[Ed25519.SeedLength];
        try
        {
            Sodium.RandomBytes(seed);
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Recreates the key pair belonging to a 32-byte seed.</summary>
    /// <param name="seed32">The seed (RFC 8032 "secret key"); it is copied, not kept.</param>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static Ed25519KeyPair FromSeed(ReadOnlySpan<byte> seed32)
    {
        if (seed32.Length != Ed25519.SeedLength)
        {
            throw new ArgumentException(
                $"An Ed25519 seed is {Ed25519.SeedLength} bytes, not {seed32.Length}.", nameof(seed32));
        }

        var secretKey = GC.AllocateArray<byte>(Sodium.SecretKeyBytes, pinned: true);
        var publicKey = new byte[Ed25519.PublicKeyLength];
        Sodium.SeedKeyPair(publicKey, secretKey, seed32);
        return new Ed25519KeyPair(secretKey, publicKey);
    }

    /// <summary>
    /// Returns a copy of the 32-byte seed, the only secret needed to recreate this key
    /// (see <see cref="Ed25519KeyFile"/>). The caller owns the copy and should zero it.
    /// </summary>
    public byte[] ExportSeed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _secretKey.AsSpan(0, Ed25519.SeedLength).ToArray();
    }

    /// <summary>
    /// A 32-byte secret that only this key's holder can compute: HMAC-SHA256 keyed with the seed
    /// over <paramref name="context"/>. Different contexts give unrelated secrets, so the same key
    /// can seed other randomness (for example differential-privacy noise) without storing more
    /// secrets and without the signatures revealing anything about it. The caller should zero it.
    /// </summary>
    public byte[] DeriveSecret(ReadOnlySpan<byte> context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return System.Security.Cryptography.HMACSHA256.HashData(_secretKey.AsSpan(0, Ed25519.SeedLength), context);
    }

    /// <summary>Signs <paramref name="message"/>.</summary>
    /// <returns>The 64-byte detached signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var signature = new byte[Ed25519.SignatureLength];
        Sodium.SignDetached(signature, message, _secretKey);
        return signature;
    }

    /// <summary>Zeroes the private key; the public key and key id stay readable.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_secretKey);
        _disposed = true;
    }
}
