using System.Security.Cryptography;

namespace Federation.Trust;

/// <summary>
/// SHA-256 digests written as lowercase hex, the one spelling used everywhere in
/// Federation so digests can be compared as plain strings.
/// </summary>
public static class Sha256Hex
{
    /// <summary>Lowercase hex SHA-256 of <paramref name="data"/> (64 characters).</summary>
    public static string Of(ReadOnlySpan<byte> data) =>
        Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Lowercase hex SHA-256 of the rest of <paramref name="stream"/>, read to its end.</summary>
    public static string Of(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Whether <paramref name="text"/> is a digest as written here: exactly 64 lowercase hex digits.</summary>
    public static bool IsWellFormed(string? text) =>
        text is { Length: 64 } && text.All(character => char.IsAsciiDigit(character) || character is >= 'a' and <= 'f');

    /// <summary>Lowercase hex SHA-256 of the rest of <paramref name="stream"/>, read to its end.</summary>
    public static async Task<string> OfAsync(Stream stream, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
