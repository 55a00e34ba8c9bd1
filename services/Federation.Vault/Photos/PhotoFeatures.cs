namespace Federation.Vault.Photos;

/// <summary>Turns an inspection photo into the image model's input: 28 × 28 luminance values in [0, 1], row-major.</summary>
public static class PhotoFeatures
{
    /// <summary>The model's image side, as in Fashion-MNIST.</summary>
    public const int Side = 28;

    /// <summary>The number of input features, <see cref="Side"/>².</summary>
    public const int Count = Side * Side;

    /// <summary>
    /// Resizes <paramref name="image"/> to 28 × 28 by area averaging: each output pixel is the mean of the source area
    /// it covers, partly covered source pixels weighted by the covered fraction. A 28 × 28 image comes back unchanged.
    /// </summary>
    /// <param name="image">The decoded photo.</param>
    /// <returns>784 features.</returns>
    public static float[] From(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width == Side && image.Height == Side)
        {
            return [.. image.Luminance];
        }

        var columns = Weights(image.Width);
        var rows = Weights(image.Height);
        var features = new float[Count];
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                double sum = 0, area = 0;
                foreach (var (sourceY, weightY) in rows[y])
                {
                    foreach (var (sourceX, weightX) in columns[x])
                    {
                        double weight = weightY * weightX;
                        sum += weight * image.Luminance[sourceY * image.Width + sourceX];
                        area += weight;
                    }
                }

                features[y * Side + x] = (float)(sum / area);
            }
        }

        return features;
    }

    /// <summary>For each output index, the source indices it covers and by how much (in source pixels).</summary>
    private static List<(int Index, double Weight)>[] Weights(int sourceLength)
    {
        var weights = new List<(int, double)>[Side];
        double scale = (double)sourceLength / Side;
        for (int target = 0; target < Side; target++)
        {
            double start = target * scale, end = (target + 1) * scale;
            weights[target] = [];
            for (int source = (int)Math.Floor(start); source < Math.Min(sourceLength, (int)Math.Ceiling(end)); source++)
            {
                double overlap = Math.Min(end, source + 1) - Math.Max(start, source);
                if (overlap > 0)
                {
                    weights[target].Add((source, overlap));
                }
            }
        }

        return weights;
    }
}
