namespace Federation.Site;

/// <summary>
/// What one gateway has already acted on, by round or model version number, so that a repeated announcement
/// (the aggregator announcing again after a crash, the broker redelivering) costs no training run and sends
/// nothing twice. The numbers only grow, so one high-water mark suffices: an announcement at or below it is old news.
/// </summary>
/// <remarks>
/// The high-water mark starts from the gateway's state database (table <c>announcements</c>), which records a number
/// in the same transaction as the decision that answered it; so a restarted gateway does not act twice either.
/// </remarks>
internal sealed class AnnouncementLedger(int done)
{
    private readonly Lock gate = new();
    private readonly HashSet<int> inProgress = [];

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
