using Federation.Contracts.Signing;

namespace Federation.Audit.Contributions;

/// <summary>
/// Reads a contribution manifest of either version, strictly: a <see cref="DocumentTypes.ContributionManifest"/> (v1,
/// from before tasks) names no task and is one of task <c>default</c>; a <see cref="DocumentTypes.ContributionManifestV2"/>
/// must name its task. The aggregator and the offline audit read manifests through this one rule.
/// </summary>
public static class ManifestDocument
{
    /// <summary>The manifest, or null and why it is malformed.</summary>
    public static ContributionManifest? Parse(string json, out Rejection? rejection)
    {
        var manifest = TaskDocument.Parse<ContributionManifest>(
            json, DocumentTypes.ContributionManifest, DocumentTypes.ContributionManifestV2, document => document.Type, document => document.Task, out rejection);
        return rejection is null ? manifest : null;
    }
}
