namespace Federation.Coordination.Payloads;

/// <summary>
/// Bounds on payloads that arrive in chunks, so that no sender can fill the aggregator's disk with partial transfers.
/// Configured under <c>Aggregator:Payloads</c>.
/// </summary>
public sealed class PayloadOptions
{
    /// <summary>The largest payload accepted in chunks (default 2 GiB; safetensors files here must stay below that anyway).</summary>
    public long MaxPayloadBytes { get; set; } = 2L << 30;

    /// <summary>The most bytes all unfinished transfers together may claim (their announced totals; default 8 GiB).</summary>
    public long MaxIncomingBytes { get; set; } = 8L << 30;

    /// <summary>An unfinished transfer that received no chunk for this long is deleted (default 24 hours).</summary>
    public double MaxIncomingAgeMinutes { get; set; } = 24 * 60;

    /// <summary>
    /// How long a contribution whose payload travels in chunks waits for the payload to be assembled before it is
    /// rejected (default 10 minutes). The chunks are published before the contribution, but consumed from their own
    /// queue, so the contribution may arrive while the last chunks are still being written and hashed.
    /// </summary>
    public double WaitSeconds { get; set; } = 600;

    /// <summary>The age limit as a time span.</summary>
    public TimeSpan MaxIncomingAge => TimeSpan.FromMinutes(MaxIncomingAgeMinutes);

    /// <summary>The wait as a time span.</summary>
    public TimeSpan Wait => TimeSpan.FromSeconds(WaitSeconds);
}
