using System.Globalization;
using System.Text;
using Federation.Learning.Models;
using Federation.Policies;

namespace Federation.Cli.Demo;

/// <summary>
/// Writes the release policy a demo factory runs under, the way a factory would write its own:
/// a YAML file in policies/ listing the model's tensors, its aggregator's key, and its limits.
/// The gateway loads it like any other policy file, so its hash is what manifests carry.
/// </summary>
public static class DemoPolicy
{
    /// <summary>Writes the policy file for <paramref name="gatewayId"/> and loads it back.</summary>
    /// <param name="path">Where to write it.</param>
    /// <param name="gatewayId">The factory it is for.</param>
    /// <param name="spec">The model whose update may leave; its tensors and shapes form the allowlist.</param>
    /// <param name="aggregatorKeyId">Key id of the only aggregator that may receive anything.</param>
    /// <param name="expires">When the policy stops allowing anything.</param>
    public static LoadedPolicy Write(string path, string gatewayId, ModelSpec spec, string aggregatorKeyId, DateTimeOffset expires)
    {
        var text = new StringBuilder()
            .AppendLine($"# Demo release policy of {gatewayId}, written by fedctl demo.")
            .AppendLine($"id: {gatewayId}-demo")
            .AppendLine("version: 1")
            .AppendLine($"expires: {expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}")
            .AppendLine("allow:")
            .AppendLine("  - model-update")
            .AppendLine("  - evaluation-metrics")
            .AppendLine("aggregatorKeys:")
            .AppendLine($"  - {aggregatorKeyId}")
            .AppendLine("minimumSamples: 100")
            .AppendLine("tensors:");
        foreach (var tensor in spec.Initialize(seed: 0))
        {
            text.AppendLine($"  {tensor.Name}: [{string.Join(", ", tensor.Shape)}]");
        }

        text.AppendLine("clipping:")
            .AppendLine("  maxL2Norm: 1000.0")
            .AppendLine("privacy:")
            .AppendLine("  noiseMultiplier: 1.1")
            .AppendLine("  budget:")
            .AppendLine("    epsilon: 8.0")
            .AppendLine("    delta: 1.0e-5")
            .AppendLine("    window: 30d")
            .AppendLine("metrics:")
            .AppendLine("  accuracy:")
            .AppendLine("    minimumSamples: 50")
            .AppendLine("  loss:")
            .AppendLine("    minimumSamples: 50");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text.ToString());
        return PolicyLoader.Load(path);
    }
}
