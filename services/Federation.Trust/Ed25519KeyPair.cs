using System.Security.Cryptography;
using NSec.Cryptography;

namespace Federation.Trust;

/// <summary>
/// An Ed25519 signing key and its public key.
/// </summary>
/// <remarks>
/// The private part is an NSec <see cref="Key"/>: libsodium keeps it in its own guarded,
/// locked memory outside the managed heap, so the garbage collector never copies it, and
/// <see cref="Dispose"/> wipes and frees it. The seed leaves that memory only when
/// <see cref="ExportSeed"/> or <see cref="DeriveSecret"/> needs it, and those copies are
/// the caller's to zero (or are zeroed here).
/// </remarks>
public sealed class Ed25519KeyPair : IDisposable
{
    private readonly Key _key;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private Ed25519KeyPair(Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyId = Trust.KeyId.Of(_publicKey);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The key's identifier: see <see cref="Trust.KeyId.Of"/>.</summary>
    public string KeyId { get; }

    /// <summary>Creates a new key pair from a fresh random seed.</summary>
    public static Ed25519KeyPair Generate() => Own(Key.Create(Ed25519.Algorithm, Exportable()));

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

        return Own(Key.Import(Ed25519.Algorithm, seed32, KeyBlobFormat.RawPrivateKey, Exportable()));
    }

    /// <summary>
    /// Returns a copy of the 32-byte seed, the only secret needed to recreate this key
    /// (see <see cref="Ed25519KeyFile"/>). The caller owns the copy and should zero it.
    /// </summary>
    public byte[] ExportSeed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _key.Export(KeyBlobFormat.RawPrivateKey);
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
        Span<byte> seed = stackalloc byte[Ed25519.SeedLength];
        try
        {
            if (!_key.TryExport(KeyBlobFormat.RawPrivateKey, seed, out var written) || written != seed.Length)
            {
                throw new CryptographicException("The Ed25519 seed could not be exported.");
            }

            return HMACSHA256.HashData(seed, context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Signs <paramref name="message"/>.</summary>
    /// <returns>The 64-byte detached signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Ed25519.Algorithm.Sign(_key, message);
    }

    /// <summary>Wipes and frees the private key; the public key and key id stay readable.</summary>
    public void Dispose()
    {
        _key.Dispose();
        _disposed = true;
    }

    // Plaintext export is what lets the key file hold the seed (ExportSeed) and lets
    // DeriveSecret key an HMAC with it; NSec refuses both without this policy.
    // (A method, not a field: KeyCreationParameters is a ref struct.)
    private static KeyCreationParameters Exportable() =>
        new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    // Takes ownership of a freshly made key, and disposes it should reading its public
    // key fail, so that no private key is left behind unowned.
    private static Ed25519KeyPair Own(Key key)
    {
        try
        {
            return new Ed25519KeyPair(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
