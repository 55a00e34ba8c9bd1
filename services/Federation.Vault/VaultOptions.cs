namespace Federation.Vault;

/// <summary>The vault's limits, bound from <c>Gateway:Vault</c>.</summary>
public sealed class VaultOptions
{
    /// <summary>Objects imported longer ago than this many days are deleted, oldest first; 0 keeps them forever.</summary>
    public int MaxAgeDays { get; set; } = 365;

    /// <summary>When the stored objects together exceed this many bytes, the oldest are deleted until they fit; 0 means no limit.</summary>
    public long MaxBytes { get; set; }

    /// <summary>A file larger than this is quarantined unread (default 64 MiB), so one file cannot exhaust memory or disk.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How often the drop folder is scanned, in seconds. A file is taken once its size and time are unchanged between two scans.</summary>
    public double PollSeconds { get; set; } = 5;

    /// <summary>Throws an error naming the setting to fix when a limit cannot work.</summary>
    /// <exception cref="InvalidOperationException">A limit is negative or zero where it must be positive.</exception>
    public void Validate()
    {
        if (MaxAgeDays < 0)
        {
            throw new InvalidOperationException("Gateway:Vault:MaxAgeDays must be 0 (keep forever) or a positive number of days.");
        }

        if (MaxBytes < 0)
        {
            throw new InvalidOperationException("Gateway:Vault:MaxBytes must be 0 (no limit) or a positive number of bytes.");
        }

        if (MaxFileBytes <= 0)
        {
            throw new InvalidOperationException("Gateway:Vault:MaxFileBytes must be a positive number of bytes.");
        }

        if (!(PollSeconds > 0))
        {
            throw new InvalidOperationException("Gateway:Vault:PollSeconds must be positive.");
        }
    }
}
