namespace Federation.Site;

/// <summary>The aggregator's base URL as a directory, so that relative paths such as <c>api/…</c> resolve under it.</summary>
internal static class AggregatorAddress
{
    // Without a final '/', a base such as https://host/federation would lose its last segment when combined.
    public static Uri Of(Uri aggregator) =>
        aggregator.AbsoluteUri.EndsWith('/') ? aggregator : new Uri(aggregator.AbsoluteUri + "/");
}
