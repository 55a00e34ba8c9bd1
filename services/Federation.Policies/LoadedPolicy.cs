namespace Federation.Policies;

/// <summary>A policy together with the hash of the very bytes it was parsed from.</summary>
/// <param name="Policy">The validated policy.</param>
/// <param name="Hash">The <see cref="PolicyHash"/> of the file bytes.</param>
/// <param name="SourceName">The path or name the policy was read from, as used in error messages.</param>
/// <remarks>
/// Hashing and parsing one buffer, instead of hashing the file and loading it separately, means a file replaced in
/// between cannot make a manifest name one policy while another one was applied.
/// </remarks>
public sealed record LoadedPolicy(Policy Policy, string Hash, string SourceName);
