using System.Text.Json;

namespace Federation.Site.Training;

/// <summary>
/// What a pinned external trainer reports it did (<c>--privacy-report</c>, docs/PRIVACY.md section 6):
/// <c>{"mechanism":"dp-sgd","samplingRate":0.1,"steps":30,"clippingNorm":1.0,"noiseMultiplier":1.1}</c>.
/// </summary>
/// <param name="SamplingRate">q, the Poisson sampling rate of every step.</param>
/// <param name="Steps">T, the noisy steps taken.</param>
/// <param name="ClippingNorm">C, each example's gradient clipped to this L2 norm.</param>
/// <param name="NoiseMultiplier">z: each step's clipped sum got N(0, (z·C)²) per coordinate.</param>
public sealed record DpSgdReport(double SamplingRate, int Steps, double ClippingNorm, double NoiseMultiplier)
{
    /// <summary>The report in <paramref name="json"/>, or null when it is not one (wrong mechanism, a value missing, out of range or not finite).</summary>
    /// <param name="json">The file's bytes.</param>
    public static DpSgdReport? Read(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("mechanism", out var mechanism) || mechanism.ValueKind != JsonValueKind.String || mechanism.GetString() != "dp-sgd"
                || !Number(root, "samplingRate", out double q) || q is <= 0 or > 1
                || !root.TryGetProperty("steps", out var steps) || !steps.TryGetInt32(out int t) || t < 1
                || !Number(root, "clippingNorm", out double c) || c <= 0
                || !Number(root, "noiseMultiplier", out double z) || z <= 0)
            {
                return null;
            }

            return new DpSgdReport(q, t, c, z);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Number(JsonElement root, string name, out double value)
    {
        value = 0;
        return root.TryGetProperty(name, out var element) && element.TryGetDouble(out value) && double.IsFinite(value);
    }
}
