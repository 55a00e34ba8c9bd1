using Federation.Site.Training;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Cli.Demo;

/// <summary>
/// Fills each demo factory's vault with its share of Fashion-MNIST as inspection photos: one grey PNG per image,
/// labelled with its class, and a condition <c>lighting=dim</c> or <c>lighting=normal</c>. A dim photo is darkened and
/// low in contrast, and each factory has a different share of them, so the <c>lighting=dim</c> slice shows a real
/// weakness of a model that saw few dim photos.
/// </summary>
public static class PhotoVaults
{
    /// <summary>The condition a darkened, low-contrast photo carries.</summary>
    public const string Dim = "lighting=dim";

    private const int Side = 28; // Fashion-MNIST images are 28 x 28

    /// <summary>The condition every other photo carries.</summary>
    public const string Normal = "lighting=normal";

    /// <summary>Share of dim photos at factory-1, -2, -3, … (the last share repeats).</summary>
    public static IReadOnlyList<double> DimShares { get; } = [0.05, 0.10, 0.20];

    /// <summary>Opens the vault in <paramref name="stateDirectory"/> and stores <paramref name="data"/> in it, training and held-out images alike.</summary>
    /// <param name="stateDirectory">The gateway's state folder (the vault is its <c>vault</c> folder).</param>
    /// <param name="data">The factory's share of the data set.</param>
    /// <param name="dimShare">Share of photos taken in dim light.</param>
    /// <param name="seed">Seed for which photos are dim.</param>
    /// <returns>The vault, and how many photos are dim.</returns>
    public static (VaultStore Vault, int Dim) Fill(string stateDirectory, LocalData data, double dimShare, int seed)
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
                var pixels = Pixels(images.FeaturesOf(index), isDim);
                var label = VaultPhotoTrainer.DefaultLabels[images.Labels[index]];
                files.Add(new VaultFile($"{part}-{index:D5}.png", GrayPng.Encode(Side, Side, pixels), new VaultContent("png", 1, label, null) { Conditions = [isDim ? Dim : Normal] }));
            }
        }

        vault.StoreAll(VaultKind.Photos, files);
        int dim = files.Count(file => file.Described.Conditions[0] == Dim);
        return (vault, dim);
    }

    /// <summary>
    /// The image's grey levels: as taken, or in dim light — a quarter of the brightness over a raised black level
    /// (0…255 becomes 16…79), as an underexposed camera with its gain turned up records it.
    /// </summary>
    private static byte[] Pixels(ReadOnlySpan<float> features, bool dim)
    {
        var pixels = new byte[features.Length];
        for (int index = 0; index < features.Length; index++)
        {
            float grey = Math.Clamp(features[index], 0f, 1f) * 255f;
            pixels[index] = (byte)MathF.Round(dim ? 16f + grey / 4f : grey);
        }

        return pixels;
    }
}
