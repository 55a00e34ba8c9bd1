using Federation.Learning.Data;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Training;

/// <summary>Small seeded datasets and parameter sets for model tests.</summary>
internal static class SyntheticData
{
    /// <summary>
    /// Gaussian blobs: one centre per class, drawn uniformly from [−spread, spread]^D, and unit-variance
    /// points around it. With spread 4 in 4 dimensions the classes are (almost) linearly separable.
    /// </summary>
    public static Dataset Blobs(int classes, int features, int perClass, int seed, double spread = 4)
    {
        var random = new Random(seed);
        var centres = new double[classes, features];
        for (int c = 0; c < classes; c++)
        {
            for (int f = 0; f < features; f++)
            {
                centres[c, f] = ((2 * random.NextDouble()) - 1) * spread;
            }
        }

        int count = classes * perClass;
        var values = new float[count * features];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes;
            labels[i] = (byte)c;
            for (int f = 0; f < features; f++)
            {
                values[(i * features) + f] = (float)(centres[c, f] + Normal(random));
            }
        }

        return new Dataset(values, labels, features, classes);
    }

    /// <summary>Features uniform in [−1, 1] with random labels: a tiny problem for gradient checks.</summary>
    public static Dataset Noise(int classes, int features, int count, int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, count * features).Select(_ => (float)((2 * random.NextDouble()) - 1)).ToArray();
        var labels = Enumerable.Range(0, count).Select(_ => (byte)random.Next(classes)).ToArray();
        return new Dataset(values, labels, features, classes);
    }

    /// <summary>Replaces every value (biases included) with a uniform draw in [−scale, scale].</summary>
    public static TensorSet Randomized(TensorSet layout, int seed, double scale = 0.5)
    {
        var random = new Random(seed);
        var set = layout.Clone();
        foreach (var tensor in set)
        {
            for (int i = 0; i < tensor.Values.Length; i++)
            {
                tensor.Values[i] = (float)(((2 * random.NextDouble()) - 1) * scale);
            }
        }

        return set;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
