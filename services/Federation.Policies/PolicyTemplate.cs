using System.Globalization;
using System.Text;
using Federation.Learning.Tensors;

namespace Federation.Policies;

/// <summary>
/// Writes the text of a policy for one model, the way a factory would write its own file: its
/// tensors and shapes as the allowlist, one aggregator key, DP-SGD limits and a budget. Used by
/// the demo and the tests; factories write theirs by hand from policies/example.yaml.
/// </summary>
public static class PolicyTemplate
{
    /// <summary>The YAML text of the policy.</summary>
    /// <param name="policyId">The policy's id.</param>
    /// <param name="model">The model whose update may leave; its tensor names and shapes form the allowlist.</param>
    /// <param name="aggregatorKeyId">Key id of the only aggregator that may receive anything.</param>
    /// <param name="expires">When the policy stops allowing anything.</param>
    /// <param name="minimumSamples">Fewest local samples behind an update.</param>
    public static string ForModel(string policyId, TensorSet model, string aggregatorKeyId, DateTimeOffset expires, long minimumSamples = 100)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = new StringBuilder()
            .AppendLine($"id: {policyId}")
            .AppendLine("version: 1")
            .AppendLine($"expires: {expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}")
            .AppendLine("allow:")
            .AppendLine("  - model-update")
            .AppendLine("  - evaluation-metrics")
            .AppendLine("aggregatorKeys:")
            .AppendLine($"  - {aggregatorKeyId}")
            .AppendLine(CultureInfo.InvariantCulture, $"minimumSamples: {minimumSamples}")
            .AppendLine("tensors:")
            .Append(Tensors(model, indent: "  "));
        return text
            .AppendLine("clipping:")
            .AppendLine("  maxUpdateL2Norm: 10.0")
            .AppendLine("privacy:")
            .AppendLine("  maxExampleL2Norm: 1.0")
            .AppendLine("  minNoiseMultiplier: 1.0")
            .AppendLine("  budget:")
            .AppendLine("    epsilon: 8.0")
            .AppendLine("    delta: 1.0e-5")
            .AppendLine("    window: 30d")
            .AppendLine("metrics:")
            .AppendLine("  accuracy:")
            .AppendLine("    minimumSamples: 50")
            .AppendLine("  loss:")
            .AppendLine("    minimumSamples: 50")
            .ToString();
    }

    /// <summary>The lines of a <c>tensors:</c> allowlist for <paramref name="model"/>: one <c>name: [shape]</c> per tensor, each after <paramref name="indent"/>.</summary>
    /// <param name="model">The model whose update may leave.</param>
    /// <param name="indent">What each line starts with (its depth in the file).</param>
    public static string Tensors(TensorSet model, string indent)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = new StringBuilder();
        foreach (var tensor in model)
        {
            text.AppendLine($"{indent}{tensor.Name}: [{string.Join(", ", tensor.Shape)}]");
        }

        return text.ToString();
    }
}
