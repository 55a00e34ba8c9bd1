using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>The distance and score arithmetic shared by Krum, Multi-Krum and Bulyan.</summary>
internal static class KrumSelection
{
    /// <summary>
    /// ‖Δᵢ − Δⱼ‖² for every pair, accumulated in float64 as Σ ((double)a − (double)b)² over tensors in name order and
    /// elements in index order: a fixed sequence of IEEE operations, so every machine gets the same scores.
    /// </summary>
    public static double[,] SquaredDistances(IReadOnlyList<TensorSet> deltas)
    {
        int n = deltas.Count;
        var distances = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < deltas[i].Count; t++)
                {
                    var a = deltas[i][t].Values;
                    var b = deltas[j][t].Values;
                    for (int e = 0; e < a.Length; e++)
                    {
                        double difference = (double)a[e] - b[e];
                        sum += difference * difference;
                    }
                }

                distances[i, j] = sum;
                distances[j, i] = sum;
            }
        }

        return distances;
    }

    /// <summary>
    /// The Krum score of each candidate among <paramref name="candidates"/>: the sum of its squared distances to its
    /// c − f − 2 nearest other candidates (c = candidate count), clamped to [1, c − 1] as Flower does (Bulyan's later
    /// selections run on fewer than 2f + 3 candidates), summed in ascending order in float64.
    /// </summary>
    public static double[] Scores(double[,] distances, IReadOnlyList<int> candidates, int f)
    {
        int c = candidates.Count;
        int neighbours = Math.Min(Math.Max(1, c - f - 2), c - 1);
        var scores = new double[c];
        var nearest = new double[Math.Max(0, c - 1)];
        for (int x = 0; x < c; x++)
        {
            int filled = 0;
            for (int y = 0; y < c; y++)
            {
                if (y != x)
                {
                    nearest[filled++] = distances[candidates[x], candidates[y]];
                }
            }

            Array.Sort(nearest);
            double score = 0;
            for (int q = 0; q < neighbours; q++)
            {
                score += nearest[q];
            }

            scores[x] = score;
        }

        return scores;
    }

    /// <summary>Positions 0…n−1 ordered by ascending score, ties by position (input order).</summary>
    public static int[] Ranking(double[] scores)
    {
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        return order;
    }

    /// <summary>The Krum minimum: more than 2f + 2 updates.</summary>
    public static void CheckCount(string strategy, int count, int f) =>
        UpdateValidation.CheckCount(strategy, count, (2 * f) + 3, $"more than 2f + 2 = {(2 * f) + 2} updates (f = {f})");
}
