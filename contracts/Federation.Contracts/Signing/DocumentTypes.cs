namespace Federation.Contracts.Signing;

/// <summary>The <c>type</c> field of each signed document.</summary>
public static class DocumentTypes
{
    /// <summary>Type of a <see cref="Signing.ContributionManifest"/> from before tasks (task <c>default</c>).</summary>
    public const string ContributionManifest = "federation.contribution-manifest.v1";

    /// <summary>Type of a <see cref="Signing.ContributionManifest"/> that names its task.</summary>
    public const string ContributionManifestV2 = "federation.contribution-manifest.v2";

    /// <summary>
    /// Type of a <see cref="Signing.ContributionManifest"/> that names its task (also <c>default</c>) and states the
    /// release's privacy charge (<see cref="ReleasePrivacy"/>).
    /// </summary>
    public const string ContributionManifestV3 = "federation.contribution-manifest.v3";

    /// <summary>Type of a <see cref="Signing.EvaluationReport"/> that names its task.</summary>
    public const string EvaluationReportV2 = "federation.evaluation-report.v2";

    /// <summary>Type of a <see cref="Signing.EvaluationReport"/> that names the slices it left out for having too few samples.</summary>
    public const string EvaluationReportV3 = "federation.evaluation-report.v3";

    /// <summary>Type of a <see cref="Signing.EvaluationReport"/>.</summary>
    public const string EvaluationReport = "federation.evaluation-report.v1";
}
