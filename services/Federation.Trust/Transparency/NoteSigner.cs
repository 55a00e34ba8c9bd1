namespace Federation.Trust.Transparency;

/// <summary>
/// A named Ed25519 signing key for signed notes (https://c2sp.org/signed-note).
/// </summary>
/// <remarks>
/// The signer borrows the <see cref="Ed25519KeyPair"/>; it does not own or dispose it.
/// The log's key name should be its checkpoint origin (c2sp.org/tlog-checkpoint).
/// </remarks>
public sealed class NoteSigner
{
    private readonly Ed25519KeyPair _key;

    /// <summary>Makes a signer that signs as <paramref name="name"/> with <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid key name (empty, white space or '+').</exception>
    public NoteSigner(string name, Ed25519KeyPair key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Verifier = new NoteVerifier(name, key.PublicKey.Span);
        _key = key;
    }

    /// <summary>The key name written in signature lines.</summary>
    public string Name => Verifier.Name;

    /// <summary>The 32-bit key hash (key ID) that prefixes every signature.</summary>
    public uint KeyHash => Verifier.KeyHash;

    /// <summary>The matching verifier; its <see cref="NoteVerifier.VerifierKey"/> is what to publish.</summary>
    public NoteVerifier Verifier { get; }

    /// <summary>The 64-byte Ed25519 signature of <paramref name="message"/>.</summary>
    /// <exception cref="ObjectDisposedException">The key pair has been disposed.</exception>
    public byte[] Sign(ReadOnlySpan<byte> message) => _key.Sign(message);
}
