namespace Federation.Learning.Data;

/// <summary>
/// Splits a labelled dataset into non-IID client partitions by label skew, following Hsu, Qi and Brown (2019),
/// "Measuring the Effects of Non-Identical Data Distribution for Federated Visual Classification".
/// </summary>
/// <remarks>
/// For each class in turn (0, 1, ...): its sample indices are shuffled, proportions p ~ Dirichlet(alpha, ..., alpha)
/// over the parts are drawn, and the shuffled indices are cut at <c>floor(cumsum(p) · n)</c>.
/// Small alpha (e.g. 0.1) gives each part a few dominant classes; large alpha (e.g. 100) approaches an IID split.
/// One <see cref="Random"/>(seed) drives all draws, in that order, so a seed fixes the split.
/// </remarks>
public static class DirichletPartitioner
{
    /// <summary>Splits sample indices into <paramref name="parts"/> groups.</summary>
    /// <param name="labels">The label of each sample.</param>
    /// <param name="classCount">The number of classes; every label must be below it.</param>
    /// <param name="parts">The number of partitions (clients).</param>
    /// <param name="alpha">The Dirichlet concentration; must be positive and finite.</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>For each part, its sample indices in ascending order; every index is in exactly one part (some parts may be empty).</returns>
    public static int[][] Split(ReadOnlySpan<byte> labels, int classCount, int parts, double alpha, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive and finite");
        }

        var byClass = IndicesByClass(labels, classCount);
        var random = new Random(seed);
        var assigned = new List<int>[parts];
        for (int p = 0; p < parts; p++)
        {
            assigned[p] = [];
        }

        var proportions = new double[parts];
        foreach (var indices in byClass)
        {
            Shuffle(indices, random);
            SampleDirichlet(alpha, random, proportions);

            double cumulative = 0;
            int start = 0;
            for (int p = 0; p < parts; p++)
            {
                cumulative += proportions[p];
                // The last part takes the remainder, so rounding can never lose an index.
                int end = p == parts - 1
                    ? indices.Length
                    : Math.Clamp((int)(cumulative * indices.Length), start, indices.Length);
                assigned[p].AddRange(indices.AsSpan(start, end - start));
                start = end;
            }
        }

        var result = new int[parts][];
        for (int p = 0; p < parts; p++)
        {
            result[p] = [.. assigned[p]];
            Array.Sort(result[p]);
        }

        return result;
    }

    private static int[][] IndicesByClass(ReadOnlySpan<byte> labels, int classCount)
    {
        var lists = new List<int>[classCount];
        for (int c = 0; c < classCount; c++)
        {
            lists[c] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new ArgumentException($"label {labels[i]} of sample {i} is not below the class count {classCount}", nameof(labels));
            }

            lists[labels[i]].Add(i);
        }

        return Array.ConvertAll(lists, static l => l.ToArray());
    }

    /// <summary>Fisher–Yates, written out so the permutation depends only on the <see cref="Random"/> sequence.</summary>
    private static void Shuffle(int[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Dirichlet(alpha, ..., alpha) as normalized Gamma(alpha) draws, normalized in log space.</summary>
    private static void SampleDirichlet(double alpha, Random random, double[] proportions)
    {
        for (int p = 0; p < proportions.Length; p++)
        {
            proportions[p] = GammaSampler.SampleLog(alpha, random);
        }

        double max = proportions.Max();
        double sum = 0;
        for (int p = 0; p < proportions.Length; p++)
        {
            proportions[p] = Math.Exp(proportions[p] - max);
            sum += proportions[p];
        }

        for (int p = 0; p < proportions.Length; p++)
        {
            proportions[p] /= sum;
        }
    }
}
