using Federation.Contracts.Events;
using Federation.Contracts.Signing;

namespace Federation.Audit.Contributions;

/// <summary>
/// Reads a contribution manifest of any version, strictly: a <see cref="DocumentTypes.ContributionManifest"/> (v1,
/// from before tasks) names no task and is one of task <c>default</c>; a <see cref="DocumentTypes.ContributionManifestV2"/>
/// must name its task; a <see cref="DocumentTypes.ContributionManifestV3"/> must name its task (also <c>default</c>) and
/// state its privacy charge, which v1 and v2 never carry. The aggregator and the offline audit read manifests through
/// this one rule.
/// </summary>
public static class ManifestDocument
{
    /// <summary>The manifest, or null and why it is malformed.</summary>
    public static ContributionManifest? Parse(string json, out Rejection? rejection)
    {
        // Versions 2 and 3 share the rule that the task is required; the privacy charge is what sets v3 apart.
        var manifest = TaskDocument.Parse<ContributionManifest>(
            json, DocumentTypes.ContributionManifest, [DocumentTypes.ContributionManifestV2, DocumentTypes.ContributionManifestV3],
            document => document.Type, document => document.Task, out rejection);
        if (manifest is not null && rejection is null)
        {
            rejection = (manifest.Type == DocumentTypes.ContributionManifestV3, manifest.Privacy) switch
            {
                (true, null) => new Rejection(RejectionReason.MalformedManifest, $"A {DocumentTypes.ContributionManifestV3} must state its privacy charge ('privacy')."),
                (false, not null) => new Rejection(RejectionReason.MalformedManifest, $"A {manifest.Type} carries no privacy charge; one with 'privacy' is a {DocumentTypes.ContributionManifestV3}."),
                (true, { } privacy) when PrivacyProblem(privacy) is { } problem => new Rejection(RejectionReason.MalformedManifest, $"Its privacy charge {problem}."),
                _ => null,
            };
        }

        return rejection is null ? manifest : null;
    }

    private static string? PrivacyProblem(ReleasePrivacy privacy) => privacy switch
    {
        { Mechanism: not (ReleasePrivacy.DpSgd or ReleasePrivacy.WholeUpdateGaussian) } => $"names mechanism '{privacy.Mechanism}'; expected {ReleasePrivacy.DpSgd} or {ReleasePrivacy.WholeUpdateGaussian}",
        { SamplingRate: not (> 0 and <= 1) } => "has a samplingRate outside (0, 1]",
        { Steps: < 1 } => "has fewer than one step",
        _ when !(privacy.ClippingNorm > 0) || !(privacy.NoiseMultiplier > 0) || !double.IsFinite(privacy.ClippingNorm) || !double.IsFinite(privacy.NoiseMultiplier) => "needs a positive, finite clippingNorm and noiseMultiplier",
        _ when !(privacy.Epsilon >= 0) || !(privacy.EpsilonInWindow >= 0) || !(privacy.BudgetEpsilon > 0) || !double.IsFinite(privacy.EpsilonInWindow) => "needs non-negative finite epsilons and a positive budget",
        { Delta: not (> 0 and < 1) } => "has a delta outside (0, 1)",
        { WindowSeconds: < 1 } => "has a window under one second",
        _ => null,
    };
}
