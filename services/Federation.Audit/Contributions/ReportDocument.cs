using Federation.Contracts.Signing;

namespace Federation.Audit.Contributions;

/// <summary>
/// Reads an evaluation report of either version, strictly: a <see cref="DocumentTypes.EvaluationReport"/> (v1, from
/// before tasks) names no task and is one of task <c>default</c>; a <see cref="DocumentTypes.EvaluationReportV2"/> must
/// name its task. The aggregator and the offline audit read reports through this one rule.
/// </summary>
public static class ReportDocument
{
    /// <summary>
    /// The report, or null when it cannot be read at all. A readable report whose version and task disagree is
    /// returned with a <paramref name="rejection"/>, so the rejection can still name its gateway and model version.
    /// </summary>
    public static EvaluationReport? Parse(string json, out Rejection? rejection) =>
        TaskDocument.Parse<EvaluationReport>(
            json, DocumentTypes.EvaluationReport, DocumentTypes.EvaluationReportV2, document => document.Type, document => document.Task, out rejection);
}
