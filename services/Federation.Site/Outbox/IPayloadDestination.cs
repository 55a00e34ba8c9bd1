namespace Federation.Site.Outbox;

/// <summary>Where a gateway sends a payload too large to travel inside its contribution, before the contribution.</summary>
public interface IPayloadDestination
{
    /// <summary>
    /// Sends the payload in <paramref name="file"/>, named by <paramref name="sha256"/>, resuming from what the
    /// receiver already holds. Completes when the receiver has it whole, or has discarded it as not matching its name
    /// (then the contribution naming it is rejected with that reason, where auditors see it).
    /// </summary>
    /// <exception cref="HttpRequestException">The receiver could not be reached or refused the payload; the outbox tries again later.</exception>
    Task SendAsync(string sha256, string file, CancellationToken cancellationToken);
}
