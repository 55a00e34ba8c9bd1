namespace Federation.Coordination.Announcements;

/// <summary>How the aggregator announces rounds to the gateways. Configured under <c>Aggregator:Announcements</c>.</summary>
public sealed class AnnouncementOptions
{
    /// <summary>
    /// While a round is open, its announcement is published again this often (default 60 seconds; 0 announces each
    /// round once). A gateway whose queue did not exist when the round opened (its first start, a new site) gets the
    /// round from the next repeat instead of idling until the next round; gateways that already decided on it ignore
    /// the repeat. Each repeat carries the base model, so on a large model weigh the wait against the traffic.
    /// </summary>
    public double RepeatSeconds { get; set; } = 60;

    /// <summary>The repeat interval, or null when repeats are off.</summary>
    public TimeSpan? RepeatInterval => RepeatSeconds > 0 ? TimeSpan.FromSeconds(RepeatSeconds) : null;
}
