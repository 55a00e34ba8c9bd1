using System.Buffers;
using System.Text;

namespace Federation.Trust.Transparency;

/// <summary>Text rules shared by signed notes, verifier keys and checkpoints.</summary>
internal static class NoteText
{
    private static readonly SearchValues<char> Base64Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    /// <summary>UTF-8 that refuses invalid bytes and lone surrogates instead of replacing them.</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Null when <paramref name="text"/> is well-formed UTF-16 (so it has a UTF-8 form)
    /// without ASCII control characters other than newline; otherwise what is wrong.
    /// </summary>
    public static string? FindBadCharacter(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 && c != '\n')
            {
                return $"control character U+{(int)c:X4} at offset {i}";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"unpaired surrogate U+{(int)c:X4} at offset {i} (not valid Unicode)";
            }
        }

        return null;
    }

    /// <summary>
    /// Null when <paramref name="name"/> can name a key (signed-note rules: non-empty,
    /// well-formed, no Unicode white space, no '+'); otherwise what is wrong.
    /// </summary>
    public static string? FindKeyNameProblem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a key name must not be empty";
        }

        var bad = FindBadCharacter(name);
        if (bad is not null)
        {
            return $"the key name has a {bad}";
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                return $"the key name \"{name}\" contains white space (U+{rune.Value:X4})";
            }

            if (rune.Value == '+')
            {
                return $"the key name \"{name}\" contains '+'";
            }
        }

        return null;
    }

    /// <summary>
    /// Decodes standard, padded base64 (RFC 4648 §4) in its one canonical spelling: no
    /// white space, no missing padding, no stray bits in the last character.
    /// </summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return false;
        }

        var body = text.AsSpan().TrimEnd('=');
        if (text.Length - body.Length > 2 || body.ContainsAnyExcept(Base64Alphabet))
        {
            return false;
        }

        var decoded = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, decoded, out var written))
        {
            return false;
        }

        bytes = decoded[..written];
        return Convert.ToBase64String(bytes) == text;
    }
}
