using Federation.Gateway;
using Federation.Learning.Data;
using System.Security.Cryptography;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// A canary in the samples a gateway trains on today (Fashion-MNIST pixels in memory, see <see cref="GatewayNode.Data"/>).
/// Pixel values are floats in [0, 1] and cannot carry bytes literally, so the first training image is replaced by
/// random values in that range, and what is searched is that image's pixels as they would travel if leaked: runs of 16
/// consecutive values as float32 little-endian (the dtype of tensors on the wire) at three places in the image, and the
/// first 8 as float64 little-endian. A model update is a function of all samples, never a copy of one, so none of
/// these runs may appear.
/// </summary>
public static class TrainingCanary
{
    /// <summary>The site's data with the canary image planted as its first training sample, and what to search for.</summary>
    public static (LocalData Data, IReadOnlyList<Secret> Secrets) Plant(string site, LocalData data)
    {
        var features = (float[])data.Training.Features.Clone();
        var image = new double[data.Training.FeatureCount];
        for (var pixel = 0; pixel < image.Length; pixel++)
        {
            // k / 2^24 is exact in float32, so the float64 needle is the very value the trainer sees.
            features[pixel] = (1 + RandomNumberGenerator.GetInt32(1 << 24)) / (float)(1 << 24);
            image[pixel] = features[pixel];
        }

        var planted = new LocalData(new Dataset(features, data.Training.Labels, data.Training.FeatureCount, data.Training.ClassCount), data.Holdout);
        var secrets = new List<Secret>();
        foreach (var start in new[] { 0, 300, 700 })
        {
            secrets.Add(new Secret("training", $"{site} canary image pixels {start}..{start + 15} as float32 LE", CanaryFiles.LittleEndian(image[start..], 16, asFloat32: true)));
        }

        secrets.Add(new Secret("training", $"{site} canary image pixels 0..7 as float64 LE", CanaryFiles.LittleEndian(image, 8, asFloat32: false)));
        return (planted, secrets);
    }
}
