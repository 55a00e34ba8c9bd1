using System.Runtime.InteropServices;

namespace Federation.Trust;

/// <summary>
/// Thin P/Invoke layer over the system libsodium, limited to Ed25519 signing.
/// </summary>
/// <remarks>
/// Every entry point checks buffer lengths before calling native code: libsodium
/// trusts the caller's pointers, so a short buffer here would be silent memory
/// corruption rather than an exception.
/// </remarks>
internal static unsafe partial class Sodium
{
    /// <summary>Length of an Ed25519 seed (RFC 8032 "secret key").</summary>
    internal const int SeedBytes = 32;

    /// <summary>Length of an Ed25519 public key.</summary>
    internal const int PublicKeyBytes = 32;

    /// <summary>Length of libsodium's expanded secret key (seed followed by public key).</summary>
    internal const int SecretKeyBytes = 64;

    /// <summary>Length of a detached Ed25519 signature.</summary>
    internal const int SignatureBytes = 64;

    // sodium_init must run once before any other call; Lazy makes that thread-safe
    // and remembers a failure so every caller sees the same clear exception.
    private static readonly Lazy<bool> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Fills <paramref name="buffer"/> with cryptographically secure random bytes.</summary>
    internal static void RandomBytes(Span<byte> buffer)
    {
        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            randombytes_buf(p, (nuint)buffer.Length);
        }
    }

    /// <summary>Derives the key pair for <paramref name="seed"/>.</summary>
    internal static void SeedKeyPair(Span<byte> publicKey, Span<byte> secretKey, ReadOnlySpan<byte> seed)
    {
        RequireLength(publicKey.Length, PublicKeyBytes, nameof(publicKey));
        RequireLength(secretKey.Length, SecretKeyBytes, nameof(secretKey));
        RequireLength(seed.Length, SeedBytes, nameof(seed));
        EnsureInitialized();
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        fixed (byte* s = seed)
        {
            Check(crypto_sign_seed_keypair(pk, sk, s), "crypto_sign_seed_keypair");
        }
    }

    /// <summary>Writes the detached signature of <paramref name="message"/> into <paramref name="signature"/>.</summary>
    internal static void SignDetached(Span<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> secretKey)
    {
        RequireLength(signature.Length, SignatureBytes, nameof(signature));
        RequireLength(secretKey.Length, SecretKeyBytes, nameof(secretKey));
        EnsureInitialized();
        fixed (byte* sig = signature)
        fixed (byte* m = message)
        fixed (byte* sk = secretKey)
        {
            Check(crypto_sign_detached(sig, null, m, (ulong)message.Length, sk), "crypto_sign_detached");
        }
    }

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/>.</summary>
    internal static bool VerifyDetached(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> publicKey)
    {
        RequireLength(signature.Length, SignatureBytes, nameof(signature));
        RequireLength(publicKey.Length, PublicKeyBytes, nameof(publicKey));
        EnsureInitialized();
        fixed (byte* sig = signature)
        fixed (byte* m = message)
        fixed (byte* pk = publicKey)
        {
            return crypto_sign_verify_detached(sig, m, (ulong)message.Length, pk) == 0;
        }
    }

    private static void EnsureInitialized() => _ = Initialized.Value;

    private static bool Initialize()
    {
        SodiumLibraryLoader.Register();
        int result;
        try
        {
            result = sodium_init();
        }
        catch (DllNotFoundException e)
        {
            throw SodiumLibraryLoader.NotInstalled(e);
        }

        // 0 = initialised now, 1 = already initialised (e.g. by another library in
        // the process); only -1 means libsodium cannot be used.
        if (result < 0)
        {
            throw new InvalidOperationException($"sodium_init() failed with {result}; libsodium cannot be used.");
        }

        return true;
    }

    private static void RequireLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"Expected {expected} bytes but got {actual}.", name);
        }
    }

    private static void Check(int result, string function)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"libsodium {function}() failed with {result}.");
        }
    }

    [LibraryImport(SodiumLibraryLoader.LibraryName, EntryPoint = "sodium_init")]
    private static partial int sodium_init();

    [LibraryImport(SodiumLibraryLoader.LibraryName, EntryPoint = "randombytes_buf")]
    private static partial void randombytes_buf(byte* buffer, nuint size);

    [LibraryImport(SodiumLibraryLoader.LibraryName, EntryPoint = "crypto_sign_seed_keypair")]
    private static partial int crypto_sign_seed_keypair(byte* publicKey, byte* secretKey, byte* seed);

    [LibraryImport(SodiumLibraryLoader.LibraryName, EntryPoint = "crypto_sign_detached")]
    private static partial int crypto_sign_detached(byte* signature, ulong* signatureLength, byte* message, ulong messageLength, byte* secretKey);

    [LibraryImport(SodiumLibraryLoader.LibraryName, EntryPoint = "crypto_sign_verify_detached")]
    private static partial int crypto_sign_verify_detached(byte* signature, byte* message, ulong messageLength, byte* publicKey);
}
