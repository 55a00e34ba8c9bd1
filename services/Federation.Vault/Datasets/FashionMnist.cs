using System.IO.Compression;
using Federation.Learning.Data;

namespace Federation.Vault.Datasets;

/// <summary>
/// Loads Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> package. In the demo its
/// images stand in for a factory's inspection photos.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian installs the data set.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The 60,000 training images.</summary>
    public static Dataset LoadTraining(string directory = DefaultDirectory) => Load(directory, "train");

    /// <summary>The 10,000 test images.</summary>
    public static Dataset LoadTest(string directory = DefaultDirectory) => Load(directory, "t10k");

    private static Dataset Load(string directory, string prefix)
    {
        var images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        var labels = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        foreach (var file in new[] { images, labels })
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException(
                    $"Fashion-MNIST file {file} is missing; install the Debian package dataset-fashion-mnist (`make deps`).", file);
            }
        }

        using var imageStream = new GZipStream(File.OpenRead(images), CompressionMode.Decompress);
        using var labelStream = new GZipStream(File.OpenRead(labels), CompressionMode.Decompress);
        return IdxFormat.Read(imageStream, labelStream);
    }
}
