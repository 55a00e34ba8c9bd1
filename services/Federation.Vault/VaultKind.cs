namespace Federation.Vault;

/// <summary>The four kinds of raw data a factory keeps in its vault.</summary>
public enum VaultKind
{
    /// <summary>Raw machine logs: UTF-8 text, or JSON lines when the file ends in <c>.jsonl</c> or <c>.ndjson</c>.</summary>
    Logs,

    /// <summary>Operator overrides: JSON lines or CSV records with who, when, machine, what, why.</summary>
    Overrides,

    /// <summary>Inspection photos: PNG or JPEG, each with a label.</summary>
    Photos,

    /// <summary>Force/torque time series: CSV with a sample-rate line, a header and monotonic time.</summary>
    Force,
}

/// <summary>The names the vault uses for its kinds on the command line, in folders and in the index.</summary>
public static class VaultKinds
{
    /// <summary>Every kind, in a fixed order.</summary>
    public static IReadOnlyList<VaultKind> All { get; } = [VaultKind.Logs, VaultKind.Overrides, VaultKind.Photos, VaultKind.Force];

    /// <summary>The kind's name: <c>logs</c>, <c>overrides</c>, <c>photos</c> or <c>force</c>.</summary>
    /// <param name="kind">The kind.</param>
    public static string ToName(this VaultKind kind) => kind switch
    {
        VaultKind.Logs => "logs",
        VaultKind.Overrides => "overrides",
        VaultKind.Photos => "photos",
        VaultKind.Force => "force",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Reads a kind's name.</summary>
    /// <param name="name">One of <c>logs</c>, <c>overrides</c>, <c>photos</c>, <c>force</c>.</param>
    /// <param name="kind">The kind when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out VaultKind kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
