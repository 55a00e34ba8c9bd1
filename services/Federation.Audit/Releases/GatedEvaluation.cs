using Federation.Contracts.Events;

namespace Federation.Audit.Releases;

/// <summary>A recorded evaluation as a release decision reads it: the event and the SHA-256 of its report.</summary>
/// <param name="Evaluation">The recorded evaluation.</param>
/// <param name="ReportSha256">Lower-case hex SHA-256 of the UTF-8 bytes of <see cref="EvaluationRecorded.Report"/>.</param>
public sealed record GatedEvaluation(EvaluationRecorded Evaluation, string ReportSha256);
