using Federation.Contracts.Events;
using Federation.Contracts.Signing;

namespace Federation.Audit.Contributions;

/// <summary>
/// Reads an evaluation report of any version, strictly: a <see cref="DocumentTypes.EvaluationReport"/> (v1, from
/// before tasks) names no task and is one of task <c>default</c>; a <see cref="DocumentTypes.EvaluationReportV2"/> must
/// name its task; a <see cref="DocumentTypes.EvaluationReportV3"/> must name its task (also <c>default</c>) and the
/// slices it dropped, which v1 and v2 never carry. The aggregator and the offline audit read reports through this one rule.
/// </summary>
public static class ReportDocument
{
    /// <summary>
    /// The report, or null when it cannot be read at all. A readable report whose version and members disagree is
    /// returned with a <paramref name="rejection"/>, so the rejection can still name its gateway and model version.
    /// </summary>
    public static EvaluationReport? Parse(string json, out Rejection? rejection)
    {
        var report = TaskDocument.Parse<EvaluationReport>(
            json, DocumentTypes.EvaluationReport, [DocumentTypes.EvaluationReportV2, DocumentTypes.EvaluationReportV3],
            document => document.Type, document => document.Task, out rejection);
        if (report is not null && rejection is null)
        {
            rejection = (report.Type == DocumentTypes.EvaluationReportV3, report.DroppedSlices) switch
            {
                (true, null or []) => Malformed($"A {DocumentTypes.EvaluationReportV3} must name the slices it dropped ('droppedSlices'); one that dropped none is a v1 or v2."),
                (false, not null) => Malformed($"A {report.Type} names no dropped slices; one with 'droppedSlices' is a {DocumentTypes.EvaluationReportV3}."),
                (true, { } dropped) when DroppedProblem(report, dropped) is { } problem => Malformed($"Its droppedSlices {problem}."),
                _ => null,
            };
        }

        return report;
    }

    private static Rejection Malformed(string detail) => new(RejectionReason.MalformedManifest, detail);

    private static string? DroppedProblem(EvaluationReport report, IReadOnlyList<string> dropped)
    {
        if (dropped.Any(string.IsNullOrWhiteSpace))
        {
            return "list an empty slice name";
        }

        if (dropped.Distinct(StringComparer.Ordinal).Count() != dropped.Count)
        {
            return "list a slice twice";
        }

        var reported = report.Metrics.Select(metric => metric?.Slice).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return dropped.FirstOrDefault(reported.Contains) is { } both ? $"name '{both}', which the report also gives values for" : null;
    }
}
