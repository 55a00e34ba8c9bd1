namespace Federation.Gateway;

/// <summary>
/// What one gateway has already acted on, by round or model version number, so that a repeated announcement
/// (the aggregator announcing again after a crash, the broker redelivering) costs no training run and sends
/// nothing twice. The numbers only grow, so one high-water mark suffices: an announcement at or below it is old news.
/// </summary>
/// <remarks>
/// Kept in memory: the gateway keeps no state on disk yet. After a gateway restart the aggregator's own checks
/// (one accepted contribution per gateway and round, one evaluation per gateway and version) are the backstop.
/// </remarks>
internal sealed class AnnouncementLedger
{
    private readonly Lock gate = new();
    private readonly HashSet<int> inProgress = [];
    private int done = -1;

    /// <summary>Claims <paramref name="number"/>; false when it is already done or being worked on.</summary>
    public bool TryBegin(int number)
    {
        lock (gate)
        {
            return number > done && inProgress.Add(number);
        }
    }

    /// <summary>The work for <paramref name="number"/> was sent: repeats of it, and anything older, are ignored.</summary>
    public void Complete(int number)
    {
        lock (gate)
        {
            inProgress.Remove(number);
            done = Math.Max(done, number);
        }
    }

    /// <summary>Releases a claim whose work was not sent, so a redelivery may try again; no effect once completed.</summary>
    public void Abandon(int number)
    {
        lock (gate)
        {
            inProgress.Remove(number);
        }
    }
}
