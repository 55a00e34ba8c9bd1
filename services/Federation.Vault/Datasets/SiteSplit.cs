using Federation.Learning.Data;

namespace Federation.Vault.Datasets;

/// <summary>
/// Deals a data set out to factories the way real sites differ: label skew from a Dirichlet
/// split, then each site keeps a share of its own samples back for local evaluation.
/// </summary>
public static class SiteSplit
{
    /// <summary>Splits <paramref name="data"/> into <paramref name="sites"/> sites' local data.</summary>
    /// <param name="data">The whole data set.</param>
    /// <param name="sites">Number of sites.</param>
    /// <param name="alpha">Dirichlet concentration: small is very skewed, large is near-uniform.</param>
    /// <param name="seed">Seed for the split.</param>
    /// <param name="holdoutFraction">Share of each site's samples kept for local evaluation.</param>
    public static IReadOnlyList<LocalData> Split(Dataset data, int sites, double alpha, int seed, double holdoutFraction = 0.1)
    {
        var parts = DirichletPartitioner.Split(data.Labels, data.ClassCount, sites, alpha, seed);
        return parts.Select((indices, site) => SplitHoldout(data, indices, holdoutFraction, seed + site)).ToList();
    }

    private static LocalData SplitHoldout(Dataset data, int[] indices, double holdoutFraction, int seed)
    {
        var shuffled = indices.ToArray();
        new Random(seed).Shuffle(shuffled);
        var holdoutCount = (int)Math.Round(shuffled.Length * holdoutFraction);
        var training = shuffled[holdoutCount..];
        var holdout = shuffled[..holdoutCount];
        Array.Sort(training);
        Array.Sort(holdout);
        return new LocalData(data.Subset(training), data.Subset(holdout));
    }
}
