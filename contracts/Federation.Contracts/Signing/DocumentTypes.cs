namespace Federation.Contracts.Signing;

/// <summary>The <c>type</c> field of each signed document.</summary>
public static class DocumentTypes
{
    /// <summary>Type of a <see cref="Signing.ContributionManifest"/>.</summary>
    public const string ContributionManifest = "federation.contribution-manifest.v1";

    /// <summary>Type of a <see cref="Signing.EvaluationReport"/>.</summary>
    public const string EvaluationReport = "federation.evaluation-report.v1";
}
