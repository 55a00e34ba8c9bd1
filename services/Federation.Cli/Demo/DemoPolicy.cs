using Federation.Learning.Models;
using Federation.Policies;

namespace Federation.Cli.Demo;

/// <summary>
/// Writes the release policy a demo factory runs under, as a file in the demo's policies/ folder,
/// and loads it back the way a gateway loads any policy file, so its hash is what manifests carry.
/// </summary>
public static class DemoPolicy
{
    /// <summary>Writes the policy file for <paramref name="gatewayId"/> and loads it.</summary>
    /// <param name="path">Where to write it.</param>
    /// <param name="gatewayId">The factory it is for.</param>
    /// <param name="spec">The model whose update may leave.</param>
    /// <param name="aggregatorKeyId">Key id of the only aggregator that may receive anything.</param>
    /// <param name="expires">When the policy stops allowing anything.</param>
    /// <param name="tasks">The policy's <c>tasks:</c> section (other tasks than default and their rules); none when null.</param>
    public static LoadedPolicy Write(string path, string gatewayId, ModelSpec spec, string aggregatorKeyId, DateTimeOffset expires, string? tasks = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, $"# Demo release policy of {gatewayId}, written by fedctl demo.\n" + PolicyTemplate.ForModel($"{gatewayId}-demo", spec.Initialize(seed: 0), aggregatorKeyId, expires) + tasks);
        return PolicyLoader.Load(path);
    }
}
