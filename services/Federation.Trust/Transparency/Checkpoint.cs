using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Federation.Trust.Transparency;

/// <summary>
/// A transparency log checkpoint (https://c2sp.org/tlog-checkpoint): the log's origin,
/// its size and its RFC 6962 root hash at that size, the body of a signed note.
/// </summary>
/// <remarks>
/// Body text, each line ending in a newline (U+000A):
/// <code>
/// &lt;origin&gt;
/// &lt;tree size, ASCII decimal, no leading zeros&gt;
/// &lt;root hash, standard base64 of 32 bytes&gt;
/// [&lt;extension line&gt; ...]
/// </code>
/// The origin is any non-empty line (a schema-less URL such as <c>example.com/log</c> is
/// recommended, but clients must not assume it); extension lines are optional, opaque and
/// non-empty. Two checkpoints are equal when their origin, size, root and extensions are.
/// </remarks>
public sealed class Checkpoint : IEquatable<Checkpoint>
{
    private readonly byte[] _rootHash;
    private readonly string[] _extensions;

    /// <summary>Makes a checkpoint, checking that it can be written as a note body.</summary>
    /// <param name="origin">The log's identity, one non-empty line.</param>
    /// <param name="size">The number of leaves in the tree.</param>
    /// <param name="rootHash">The 32-byte root hash of the tree at <paramref name="size"/>; copied.</param>
    /// <param name="extensions">Optional extension lines, each non-empty; copied.</param>
    /// <exception cref="ArgumentException">A part cannot be written in a checkpoint; the message says which and why.</exception>
    public Checkpoint(string origin, long size, byte[] rootHash, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(rootHash);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var problem = FindLineProblem("origin", origin);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(origin));
        }

        if (rootHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A root hash is {MerkleHash.Size} bytes, not {rootHash.Length}.", nameof(rootHash));
        }

        _extensions = extensions?.ToArray() ?? [];
        for (var i = 0; i < _extensions.Length; i++)
        {
            problem = _extensions[i] is null ? $"extension line {i + 1} is null" : FindLineProblem($"extension line {i + 1}", _extensions[i]);
            if (problem is not null)
            {
                throw new ArgumentException(problem, nameof(extensions));
            }
        }

        Origin = origin;
        Size = size;
        _rootHash = (byte[])rootHash.Clone();
    }

    /// <summary>The log's identity: the first line.</summary>
    public string Origin { get; }

    /// <summary>The number of leaves in the tree: the second line.</summary>
    public long Size { get; }

    /// <summary>A copy of the 32-byte root hash: the third line, in base64.</summary>
    public byte[] RootHash => (byte[])_rootHash.Clone();

    /// <summary>The extension lines after the root hash (usually none).</summary>
    public IReadOnlyList<string> Extensions => _extensions;

    /// <summary>The note body: origin, size, base64 root and extension lines, each ending in "\n".</summary>
    public string Format()
    {
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(_rootHash)).Append('\n');
        foreach (var line in _extensions)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Signs this checkpoint's body as a signed note.</summary>
    public string Sign(NoteSigner signer) => SignedNote.Sign(Format(), signer);

    /// <summary>Reads a checkpoint body strictly.</summary>
    /// <exception cref="FormatException">The text is not a well-formed checkpoint; the message says where.</exception>
    public static Checkpoint Parse(string body) =>
        TryParse(body, out var checkpoint, out var error) ? checkpoint : throw new FormatException($"Not a valid checkpoint: {error}.");

    /// <summary>Reads a checkpoint body strictly, saying in <paramref name="error"/> what is wrong and where.</summary>
    public static bool TryParse(
        string? body, [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        if (body is null)
        {
            error = "the text is missing (null)";
            return false;
        }

        error = NoteText.FindBadCharacter(body);
        if (error is not null)
        {
            error = $"the text has a {error}";
            return false;
        }

        if (!body.EndsWith('\n'))
        {
            error = "the last line does not end with a newline";
            return false;
        }

        var lines = body[..^1].Split('\n');
        if (lines.Length < 3)
        {
            error = $"it has {lines.Length} line(s); origin, tree size and root hash are required";
            return false;
        }

        var (origin, sizeText, rootText) = (lines[0], lines[1], lines[2]);
        if (origin.Length == 0)
        {
            error = "line 1 (origin) is empty";
            return false;
        }

        if (!TryParseSize(sizeText, out var size, out error))
        {
            error = $"line 2 (tree size): {error}";
            return false;
        }

        if (!NoteText.TryDecodeBase64(rootText, out var root))
        {
            error = $"line 3 (root hash) \"{rootText}\" is not canonical standard base64";
            return false;
        }

        if (root.Length != MerkleHash.Size)
        {
            error = $"line 3 (root hash) decodes to {root.Length} bytes, not {MerkleHash.Size}";
            return false;
        }

        for (var i = 3; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                error = $"line {i + 1} (extension) is empty";
                return false;
            }
        }

        checkpoint = new Checkpoint(origin, size, root, lines[3..]);
        return true;
    }

    /// <summary>
    /// Opens a signed checkpoint: checks the note's signatures against
    /// <paramref name="verifiers"/>, parses the body, and checks that its origin is
    /// <paramref name="expectedOrigin"/>.
    /// </summary>
    /// <exception cref="SignedNoteException">The note or the checkpoint in it is not acceptable; the message says why.</exception>
    public static Checkpoint OpenSigned(string signedNote, string expectedOrigin, IEnumerable<NoteVerifier> verifiers) =>
        TryOpenSigned(signedNote, expectedOrigin, verifiers, out var checkpoint, out var error)
            ? checkpoint
            : throw new SignedNoteException(error);

    /// <summary>As <see cref="OpenSigned"/>, answering false with a reason instead of throwing.</summary>
    public static bool TryOpenSigned(
        string? signedNote, string expectedOrigin, IEnumerable<NoteVerifier> verifiers,
        [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        if (!SignedNote.TryOpen(signedNote, verifiers, out var note, out error))
        {
            return false;
        }

        if (!TryParse(note.Body, out var parsed, out error))
        {
            error = $"the signed note is not a checkpoint: {error}";
            return false;
        }

        if (!string.Equals(parsed.Origin, expectedOrigin, StringComparison.Ordinal))
        {
            error = $"the checkpoint is from origin \"{parsed.Origin}\", not the expected \"{expectedOrigin}\"";
            return false;
        }

        checkpoint = parsed;
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(Checkpoint? other) =>
        other is not null
        && string.Equals(Origin, other.Origin, StringComparison.Ordinal)
        && Size == other.Size
        && _rootHash.AsSpan().SequenceEqual(other._rootHash)
        && _extensions.AsSpan().SequenceEqual(other._extensions);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Checkpoint);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(Origin), Size, BitConverter.ToInt32(_rootHash, 0));

    /// <summary>The checkpoint in one line: origin, size and base64 root hash.</summary>
    public override string ToString() => $"{Origin} {Size} {Convert.ToBase64String(_rootHash)}";

    private static bool TryParseSize(string text, out long size, [NotNullWhen(false)] out string? error)
    {
        size = 0;
        if (text.Length == 0)
        {
            error = "empty";
            return false;
        }

        if (!text.AsSpan().ContainsOnlyDigits())
        {
            error = $"\"{text}\" is not a decimal number (digits 0-9 only)";
            return false;
        }

        if (text.Length > 1 && text[0] == '0')
        {
            error = $"\"{text}\" has a leading zero";
            return false;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out size))
        {
            error = $"\"{text}\" is larger than {long.MaxValue}";
            return false;
        }

        error = null;
        return true;
    }

    private static string? FindLineProblem(string what, string line)
    {
        if (line.Length == 0)
        {
            return $"The {what} must not be empty.";
        }

        if (line.Contains('\n', StringComparison.Ordinal))
        {
            return $"The {what} must be one line (it contains a newline).";
        }

        var bad = NoteText.FindBadCharacter(line);
        return bad is null ? null : $"The {what} contains a {bad}.";
    }
}

/// <summary>Span helpers for strict parsing.</summary>
file static class SpanDigits
{
    public static bool ContainsOnlyDigits(this ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');
}
