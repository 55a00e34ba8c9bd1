using System.Text.Json.Serialization;

namespace Federation.Contracts.Signing;

/// <summary>What a gateway signs about its local evaluation of a model version.</summary>
/// <param name="Type"><see cref="DocumentTypes.EvaluationReport"/>, <see cref="DocumentTypes.EvaluationReportV2"/> or <see cref="DocumentTypes.EvaluationReportV3"/>.</param>
/// <param name="GatewayId">The reporting gateway.</param>
/// <param name="KeyId">Id of the signing key.</param>
/// <param name="ModelVersion">The evaluated model version.</param>
/// <param name="ModelSha256">SHA-256 of the evaluated model, so the report names exactly what it measured.</param>
/// <param name="Metrics">Aggregate metrics only, each with the number of samples behind it.</param>
/// <param name="CreatedAt">When the gateway signed it.</param>
/// <param name="Task">
/// The task whose model was evaluated. Required in a <see cref="DocumentTypes.EvaluationReportV2"/>; absent in a v1
/// report, which is read as one of task <c>default</c>. Left out of the JSON when null, so v1 bytes are unchanged.
/// Required in a <see cref="DocumentTypes.EvaluationReportV3"/>, also for task <c>default</c>.
/// </param>
/// <param name="DroppedSlices">
/// The slices (e.g. <c>lighting=dim</c>) the gateway computed but left out of <paramref name="Metrics"/> because they
/// covered fewer samples than its policy's minimum: named, never valued, so the model team sees which slice it cannot
/// see. Only a <see cref="DocumentTypes.EvaluationReportV3"/> carries it, and there it is non-empty; left out of the
/// JSON when null, so v1 and v2 bytes are unchanged.
/// </param>
public sealed record EvaluationReport(
    string Type,
    string GatewayId,
    string KeyId,
    int ModelVersion,
    string ModelSha256,
    IReadOnlyList<MetricValue> Metrics,
    DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Task = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? DroppedSlices = null);

/// <summary>One aggregate metric and how many samples it summarizes.</summary>
/// <param name="Name">Metric name, e.g. "accuracy" or "loss".</param>
/// <param name="Slice">The part of the data it covers, e.g. "class=Coat"; null for all of it.</param>
/// <param name="Value">The value.</param>
/// <param name="SampleCount">Samples the value was computed over.</param>
public sealed record MetricValue(string Name, string? Slice, double Value, long SampleCount);
