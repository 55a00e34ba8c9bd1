using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Federation.Trust.Transparency;

/// <summary>
/// A named Ed25519 public key that checks signed-note signatures (https://c2sp.org/signed-note).
/// </summary>
/// <remarks>
/// <para>
/// Key hash (the note "key ID"): the first four bytes, read big-endian, of
/// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key), 0x01 naming Ed25519.
/// </para>
/// <para>
/// Verifier key, the text form handed to auditors (as golang.org/x/mod/sumdb/note writes it):
/// <c>&lt;name&gt;+&lt;key hash, 8 lowercase hex digits&gt;+&lt;base64(0x01 ‖ public key)&gt;</c>,
/// for example <c>PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW</c>.
/// </para>
/// </remarks>
public sealed class NoteVerifier
{
    /// <summary>The signed-note signature type byte of Ed25519.</summary>
    public const byte Ed25519Algorithm = 0x01;

    private readonly byte[] _publicKey;

    /// <summary>Makes a verifier for the Ed25519 key <paramref name="publicKey"/> named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid key name, or the key is not 32 bytes.</exception>
    public NoteVerifier(string name, ReadOnlySpan<byte> publicKey)
    {
        var problem = NoteText.FindKeyNameProblem(name);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        if (publicKey.Length != Ed25519.PublicKeyLength)
        {
            throw new ArgumentException(
                $"An Ed25519 public key is {Ed25519.PublicKeyLength} bytes, not {publicKey.Length}.", nameof(publicKey));
        }

        Name = name;
        _publicKey = publicKey.ToArray();
        KeyHash = ComputeKeyHash(name, publicKey);
    }

    /// <summary>The key name, as it appears in signature lines.</summary>
    public string Name { get; }

    /// <summary>The 32-bit key hash (key ID) that prefixes every signature by this key.</summary>
    public uint KeyHash { get; }

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The verifier key text: <c>name+hash+base64(0x01 ‖ key)</c>.</summary>
    public string VerifierKey =>
        $"{Name}+{KeyHash:x8}+{Convert.ToBase64String([Ed25519Algorithm, .. _publicKey])}";

    /// <summary>
    /// The note key hash of an Ed25519 key: the first four bytes, big-endian, of
    /// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static uint ComputeKeyHash(string name, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (publicKey.Length != Ed25519.PublicKeyLength)
        {
            throw new ArgumentException(
                $"An Ed25519 public key is {Ed25519.PublicKeyLength} bytes, not {publicKey.Length}.", nameof(publicKey));
        }

        return HashOfEncodedKey(name, [Ed25519Algorithm, .. publicKey]);
    }

    /// <summary>Reads a verifier key of the form <c>name+hash+base64(0x01 ‖ key)</c>.</summary>
    /// <exception cref="FormatException">The text is not a well-formed Ed25519 verifier key; the message says why.</exception>
    public static NoteVerifier Parse(string verifierKey) =>
        TryParse(verifierKey, out var verifier, out var error)
            ? verifier
            : throw new FormatException($"Not a valid note verifier key: {error}.");

    /// <summary>Reads a verifier key, saying in <paramref name="error"/> why it was refused.</summary>
    public static bool TryParse(
        string? verifierKey, [NotNullWhen(true)] out NoteVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (verifierKey is null)
        {
            error = "the text is missing (null)";
            return false;
        }

        // Names cannot contain '+', base64 can: split at the first two only.
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3)
        {
            error = "expected <name>+<8 hex digits>+<base64 key>";
            return false;
        }

        var (name, hashText, keyText) = (parts[0], parts[1], parts[2]);
        error = NoteText.FindKeyNameProblem(name);
        if (error is not null)
        {
            return false;
        }

        if (hashText.Length != 8 || !uint.TryParse(hashText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash))
        {
            error = $"the key hash \"{hashText}\" is not 8 hex digits";
            return false;
        }

        if (!NoteText.TryDecodeBase64(keyText, out var encodedKey))
        {
            error = "the key is not canonical standard base64";
            return false;
        }

        if (encodedKey[0] != Ed25519Algorithm)
        {
            error = $"unknown signature algorithm 0x{encodedKey[0]:x2} (only 0x01, Ed25519, is supported)";
            return false;
        }

        if (encodedKey.Length != 1 + Ed25519.PublicKeyLength)
        {
            error = $"an Ed25519 key is {Ed25519.PublicKeyLength} bytes after the algorithm byte, not {encodedKey.Length - 1}";
            return false;
        }

        var expected = HashOfEncodedKey(name, encodedKey);
        if (hash != expected)
        {
            error = $"the key hash {hashText} does not match the name and key (expected {expected:x8})";
            return false;
        }

        verifier = new NoteVerifier(name, encodedKey.AsSpan(1));
        return true;
    }

    /// <summary>True when <paramref name="signature"/> is this key's Ed25519 signature of <paramref name="message"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Ed25519.Verify(_publicKey, message, signature);

    /// <summary>The verifier key text (see <see cref="VerifierKey"/>).</summary>
    public override string ToString() => VerifierKey;

    private static uint HashOfEncodedKey(string name, ReadOnlySpan<byte> encodedKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] input = [.. nameBytes, (byte)'\n', .. encodedKey];
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}
