namespace Federation.Site.Training;

/// <summary>
/// Derives each gateway's local shuffling seed from the round's seed, so runs are reproducible
/// and gateways do not all shuffle alike. string.GetHashCode is randomized per process, hence FNV-1a.
/// </summary>
internal static class StableSeed
{
    public static int For(int roundSeed, int round, string gatewayId)
    {
        var hash = 2166136261u;
        foreach (var c in gatewayId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return unchecked((int)(hash ^ (uint)roundSeed * 31u ^ (uint)round * 1000003u));
    }
}
