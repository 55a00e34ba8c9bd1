using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Federation.Policies;

/// <summary>
/// The identity of a policy as it was written: the SHA-256 of the policy file's exact bytes, in lowercase hex.
/// This is the value every signed manifest carries, so that anyone holding the file can check which policy
/// governed a release.
/// </summary>
public static partial class PolicyHash
{
    /// <summary>The SHA-256 of <paramref name="fileBytes"/> as 64 lowercase hex digits.</summary>
    /// <param name="fileBytes">The policy file exactly as stored (BOM and line endings included).</param>
    /// <returns>The hash.</returns>
    public static string Compute(ReadOnlySpan<byte> fileBytes) => Convert.ToHexStringLower(SHA256.HashData(fileBytes));

    /// <summary>Whether <paramref name="value"/> has the form of a policy hash (64 lowercase hex digits).</summary>
    /// <param name="value">The candidate.</param>
    /// <returns>True for a well-formed hash.</returns>
    public static bool IsWellFormed(string? value) => value is not null && LowercaseSha256Hex().IsMatch(value);

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    internal static partial Regex LowercaseSha256Hex();
}
