using Federation.Contracts.Events;
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
        // Both versions share one record; the version only decides whether 'task' must be there.
        var manifest = SignedDocument.Parse<ContributionManifest>(
            json, DocumentTypes.ContributionManifest,
            document => document.Type == DocumentTypes.ContributionManifestV2 ? DocumentTypes.ContributionManifest : document.Type,
            out rejection);
        if (manifest is null)
        {
            return null;
        }

        rejection = (manifest.Type, manifest.Task) switch
        {
            (DocumentTypes.ContributionManifest, not null) => new Rejection(
                RejectionReason.MalformedManifest,
                $"A {DocumentTypes.ContributionManifest} names no task; a contribution to task '{manifest.Task}' is a {DocumentTypes.ContributionManifestV2}."),
            (DocumentTypes.ContributionManifestV2, null) => new Rejection(
                RejectionReason.MalformedManifest, $"A {DocumentTypes.ContributionManifestV2} must name its task ('task')."),
            _ => null,
        };
        return rejection is null ? manifest : null;
    }
}
