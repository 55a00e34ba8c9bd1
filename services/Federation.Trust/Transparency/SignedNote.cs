using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Federation.Trust.Transparency;

/// <summary>
/// Signs and opens signed notes (https://c2sp.org/signed-note), byte-compatible with
/// golang.org/x/mod/sumdb/note.
/// </summary>
/// <remarks>
/// <para>
/// A signed note is the body text, which ends in a newline, then one empty line, then
/// one or more signature lines <c>— &lt;key name&gt; &lt;base64(key hash ‖ signature)&gt;\n</c>
/// (U+2014 em dash, space, name, space, base64, newline). The key hash is four bytes,
/// big-endian (see <see cref="NoteVerifier"/>); the Ed25519 signature is over the UTF-8
/// bytes of the body, final newline included, separating empty line excluded.
/// </para>
/// <para>
/// Opening follows the specification: the whole note must be valid UTF-8 without control
/// characters other than newline; signatures by keys not in the verifier list are ignored
/// (reported as unverified); a signature by a listed key that does not verify rejects the
/// whole note; at least one listed key must have signed. A note with more than
/// <see cref="MaxSignatures"/> signature lines is refused. Base64 must be canonical.
/// </para>
/// </remarks>
public static class SignedNote
{
    /// <summary>Most signature lines a note may carry (the specification asks for at least 16).</summary>
    public const int MaxSignatures = 100;

    /// <summary>The start of every signature line: em dash (U+2014) and a space.</summary>
    public const string SignaturePrefix = "\u2014 ";

    /// <summary>Signs <paramref name="body"/> with <paramref name="signer"/>.</summary>
    /// <returns>The signed note: the body, an empty line and one signature line.</returns>
    /// <exception cref="ArgumentException">The body does not end in a newline, or holds characters a note may not.</exception>
    public static string Sign(string body, NoteSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return Sign(body, [signer]);
    }

    /// <summary>Signs <paramref name="body"/> with each of <paramref name="signers"/>, one line each, in order.</summary>
    /// <exception cref="ArgumentException">
    /// The body does not end in a newline or holds characters a note may not, or there is no signer.
    /// </exception>
    public static string Sign(string body, IEnumerable<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(signers);
        if (!body.EndsWith('\n'))
        {
            throw new ArgumentException("A note body must end with a newline.", nameof(body));
        }

        var bad = NoteText.FindBadCharacter(body);
        if (bad is not null)
        {
            throw new ArgumentException($"A note body may not contain a {bad}.", nameof(body));
        }

        var message = NoteText.StrictUtf8.GetBytes(body);
        var note = new StringBuilder(body).Append('\n');
        var count = 0;
        Span<byte> signature = stackalloc byte[4 + Ed25519.SignatureLength];
        foreach (var signer in signers)
        {
            ArgumentNullException.ThrowIfNull(signer, nameof(signers));
            BinaryPrimitives.WriteUInt32BigEndian(signature, signer.KeyHash);
            signer.Sign(message).CopyTo(signature[4..]);
            note.Append(SignaturePrefix).Append(signer.Name).Append(' ')
                .Append(Convert.ToBase64String(signature)).Append('\n');
            count++;
        }

        if (count == 0)
        {
            throw new ArgumentException("A signed note needs at least one signer.", nameof(signers));
        }

        return note.ToString();
    }

    /// <summary>Opens a signed note given as UTF-8 bytes (as read from a file or the network).</summary>
    /// <exception cref="SignedNoteException">The note is malformed or not validly signed by a listed key; the message says why.</exception>
    public static OpenedNote Open(ReadOnlySpan<byte> note, IEnumerable<NoteVerifier> verifiers) =>
        TryOpen(note, verifiers, out var opened, out var error) ? opened : throw new SignedNoteException(error);

    /// <summary>Opens a signed note: parses it and checks its signatures against <paramref name="verifiers"/>.</summary>
    /// <exception cref="SignedNoteException">The note is malformed or not validly signed by a listed key; the message says why.</exception>
    public static OpenedNote Open(string note, IEnumerable<NoteVerifier> verifiers) =>
        TryOpen(note, verifiers, out var opened, out var error) ? opened : throw new SignedNoteException(error);

    /// <summary>As <see cref="Open(ReadOnlySpan{byte}, IEnumerable{NoteVerifier})"/>, answering false with a reason instead of throwing.</summary>
    public static bool TryOpen(
        ReadOnlySpan<byte> note, IEnumerable<NoteVerifier> verifiers,
        [NotNullWhen(true)] out OpenedNote? opened, [NotNullWhen(false)] out string? error)
    {
        string text;
        try
        {
            text = NoteText.StrictUtf8.GetString(note);
        }
        catch (DecoderFallbackException)
        {
            opened = null;
            error = "malformed note: not valid UTF-8";
            return false;
        }

        return TryOpen(text, verifiers, out opened, out error);
    }

    /// <summary>As <see cref="Open(string, IEnumerable{NoteVerifier})"/>, answering false with a reason instead of throwing.</summary>
    public static bool TryOpen(
        string? note, IEnumerable<NoteVerifier>? verifiers,
        [NotNullWhen(true)] out OpenedNote? opened, [NotNullWhen(false)] out string? error)
    {
        opened = null;
        error = Open(note, verifiers, out var result);
        opened = result;
        return error is null;
    }

    private static string? Open(string? note, IEnumerable<NoteVerifier>? verifiers, out OpenedNote? opened)
    {
        opened = null;
        if (note is null)
        {
            return "malformed note: the note is missing (null)";
        }

        var bad = NoteText.FindBadCharacter(note);
        if (bad is not null)
        {
            return $"malformed note: {bad}";
        }

        // The body ends at the last empty line; everything after it is signature lines.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return "malformed note: no empty line separates the text from signatures";
        }

        var body = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.Length == 0)
        {
            return "malformed note: there are no signature lines";
        }

        if (!block.EndsWith('\n'))
        {
            return "malformed note: the last signature line does not end with a newline";
        }

        var lines = block[..^1].Split('\n');
        if (lines.Length > MaxSignatures)
        {
            return $"malformed note: {lines.Length} signature lines, more than the {MaxSignatures} accepted";
        }

        var known = new Dictionary<(string Name, uint Hash), List<NoteVerifier>>();
        foreach (var verifier in verifiers ?? [])
        {
            if (verifier is null)
            {
                continue;
            }

            var key = (verifier.Name, verifier.KeyHash);
            if (!known.TryGetValue(key, out var list))
            {
                known[key] = list = [];
            }

            list.Add(verifier);
        }

        var message = NoteText.StrictUtf8.GetBytes(body);
        var verified = new List<NoteSignature>();
        var unverified = new List<NoteSignature>();
        var seenKeys = new HashSet<(string, uint)>();
        var seenUnverifiedLines = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"signature line {i + 1}";
            if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
            {
                return $"malformed note: {where} does not start with an em dash (U+2014) and a space";
            }

            var rest = line[SignaturePrefix.Length..];
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                return $"malformed note: {where} has no space between key name and signature";
            }

            var name = rest[..space];
            var base64 = rest[(space + 1)..];
            var nameProblem = NoteText.FindKeyNameProblem(name);
            if (nameProblem is not null)
            {
                return $"malformed note: {where}: {nameProblem}";
            }

            if (!NoteText.TryDecodeBase64(base64, out var decoded) || decoded.Length < 5)
            {
                return $"malformed note: {where}: the signature is not canonical base64 of a key hash and a signature";
            }

            var hash = BinaryPrimitives.ReadUInt32BigEndian(decoded);
            var signature = new NoteSignature(name, hash, base64);
            if (!known.TryGetValue((name, hash), out var candidates))
            {
                // A key we do not know, even if it shares the name or the hash of one we do.
                if (seenUnverifiedLines.Add(line))
                {
                    unverified.Add(signature);
                }

                continue;
            }

            if (candidates.Count > 1)
            {
                return $"ambiguous key {name}+{hash:x8}: the verifier list holds it {candidates.Count} times";
            }

            if (!seenKeys.Add((name, hash)))
            {
                continue; // One signature per key counts; repeats are dropped, as in Go's note package.
            }

            if (!candidates[0].Verify(message, decoded.AsSpan(4)))
            {
                return $"invalid signature for key {name}+{hash:x8} ({where})";
            }

            verified.Add(signature);
        }

        if (verified.Count == 0)
        {
            return unverified.Count == 0
                ? "note has no verifiable signatures"
                : $"note has no verifiable signatures (signed only by unknown keys: {string.Join(", ", unverified.Select(s => $"{s.KeyName}+{s.KeyHash:x8}"))})";
        }

        opened = new OpenedNote(body, verified, unverified);
        return null;
    }
}

/// <summary>One signature line of a note: who signed, and the base64 as written.</summary>
/// <param name="KeyName">The key name on the line.</param>
/// <param name="KeyHash">The key hash (the first four signature bytes, big-endian).</param>
/// <param name="Base64">The base64 text of key hash and signature, as it appeared.</param>
public sealed record NoteSignature(string KeyName, uint KeyHash, string Base64);

/// <summary>A signed note whose signatures have been checked.</summary>
public sealed class OpenedNote
{
    internal OpenedNote(string body, IReadOnlyList<NoteSignature> verified, IReadOnlyList<NoteSignature> unverified)
    {
        Body = body;
        VerifiedSignatures = verified;
        UnverifiedSignatures = unverified;
    }

    /// <summary>The note text that was signed, final newline included.</summary>
    public string Body { get; }

    /// <summary>Signatures by listed keys, each checked; at least one.</summary>
    public IReadOnlyList<NoteSignature> VerifiedSignatures { get; }

    /// <summary>Signatures by keys not in the verifier list: not checked, not trusted.</summary>
    public IReadOnlyList<NoteSignature> UnverifiedSignatures { get; }
}

/// <summary>A signed note was malformed or not validly signed; the message says why.</summary>
public sealed class SignedNoteException : Exception
{
    /// <summary>Creates the exception with the reason the note was refused.</summary>
    public SignedNoteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and the error behind it.</summary>
    public SignedNoteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
