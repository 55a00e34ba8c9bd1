using Federation.Site.Training;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Cli.Demo;

/// <summary>
/// Fills each demo factory's vault with its share of Fashion-MNIST as inspection photos: one grey PNG per image,
/// labelled with its class, and a condition <c>lighting=dim</c> or <c>lighting=normal</c>. A dim photo is darkened, low
/// in contrast and grainy, and every factory has the same share of them, drawn from all its classes alike, so the
/// <c>lighting=dim</c> slice measures the lighting, not which factory's classes happen to be dim.
/// </summary>
public static class PhotoVaults
{
    /// <summary>The condition a darkened, low-contrast photo carries.</summary>
    public const string Dim = "lighting=dim";

    private const int Side = 28; // Fashion-MNIST images are 28 x 28

    /// <summary>The condition every other photo carries.</summary>
    public const string Normal = "lighting=normal";

    /// <summary>Share of dim photos at every factory.</summary>
    /// <remarks>
    /// Equal at every factory on purpose: with 5 %, 10 % and 20 % the dim photos sat mostly at factory-3, whose classes
    /// were the easy ones, and the dim slice once scored above the normal one (75.4 % against 72.4 %).
    /// </remarks>
    public const double DimShare = 0.15;

    /// <summary>Opens the vault in <paramref name="stateDirectory"/> and stores <paramref name="data"/> in it, training and held-out images alike.</summary>
    /// <param name="stateDirectory">The gateway's state folder (the vault is its <c>vault</c> folder).</param>
    /// <param name="data">The factory's share of the data set.</param>
    /// <param name="dimShare">Share of photos taken in dim light.</param>
    /// <param name="seed">Seed for which photos are dim.</param>
    /// <returns>The vault, how many photos it holds, and how many of them are dim.</returns>
    public static (VaultStore Vault, int Photos, int Dim) Fill(string stateDirectory, LocalData data, double dimShare, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var vault = VaultStore.Open(stateDirectory);
        var random = new Random(seed);
        var files = new List<VaultFile>();
        foreach (var (images, part) in new[] { (data.Training, "training"), (data.Holdout, "holdout") })
        {
            for (int index = 0; index < images.Count; index++)
            {
                bool isDim = random.NextDouble() < dimShare;
                var pixels = Pixels(images.FeaturesOf(index), isDim ? random : null);
                var label = VaultPhotoTrainer.DefaultLabels[images.Labels[index]];
                files.Add(new VaultFile($"{part}-{index:D5}.png", GrayPng.Encode(Side, Side, pixels), new VaultContent("png", 1, label, null) { Conditions = [isDim ? Dim : Normal] }));
            }
        }

        // The vault keeps one object per content: two images with the same bytes are one photo. Count what it stored.
        var stored = vault.StoreAll(VaultKind.Photos, files).Select((result, index) => (result.Stored, Dim: files[index].Described.Conditions[0] == Dim)).Where(result => result.Stored).ToList();
        return (vault, stored.Count, stored.Count(result => result.Dim));
    }

    /// <summary>
    /// The image's grey levels: as taken, or in dim light (when <paramref name="dimNoise"/> is given) — a sixth of the
    /// brightness over a raised black level (0…255 becomes 16…58) with Gaussian grain of σ = 6 levels, as an
    /// underexposed camera with its gain turned up records it.
    /// </summary>
    private static byte[] Pixels(ReadOnlySpan<float> features, Random? dimNoise)
    {
        var pixels = new byte[features.Length];
        for (int index = 0; index < features.Length; index++)
        {
            double grey = Math.Clamp(features[index], 0f, 1f) * 255.0;
            double value = dimNoise is null ? grey : 16 + (grey / 6) + (6 * Gaussian(dimNoise));
            pixels[index] = (byte)Math.Clamp(Math.Round(value), 0, 255);
        }

        return pixels;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
