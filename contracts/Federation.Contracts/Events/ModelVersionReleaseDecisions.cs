namespace Federation.Contracts.Events;

/// <summary>
/// A task's model version passed its release gate (<paramref name="ReleasedBy"/> null), or an operator released a
/// held version with a recorded reason.
/// </summary>
/// <param name="Task">The task.</param>
/// <param name="Version">The model version.</param>
/// <param name="ModelSha256">SHA-256 of its safetensors bytes.</param>
/// <param name="Checks">Every threshold of the gate with the measured value; empty when the task has no gate.</param>
/// <param name="Evaluations">The evaluation reports the measured values were computed from.</param>
/// <param name="ReleasedBy">The operator credential's name when an operator released it; null when the gate did.</param>
/// <param name="Reason">The operator's reason; null when the gate released it.</param>
/// <param name="ReleasedAt">When.</param>
public sealed record ModelVersionReleased(
    string Task,
    int Version,
    string ModelSha256,
    IReadOnlyList<GateCheck> Checks,
    IReadOnlyList<EvaluationUsed> Evaluations,
    string? ReleasedBy,
    string? Reason,
    DateTimeOffset ReleasedAt) : IFederationEvent;

/// <summary>A task's model version failed at least one threshold of its release gate and is held.</summary>
/// <param name="Task">The task.</param>
/// <param name="Version">The model version.</param>
/// <param name="ModelSha256">SHA-256 of its safetensors bytes.</param>
/// <param name="Checks">Every threshold of the gate with the measured value; the failing ones have <c>Passed</c> false.</param>
/// <param name="Evaluations">The evaluation reports the measured values were computed from.</param>
/// <param name="HeldAt">When.</param>
public sealed record ModelVersionHeld(
    string Task,
    int Version,
    string ModelSha256,
    IReadOnlyList<GateCheck> Checks,
    IReadOnlyList<EvaluationUsed> Evaluations,
    DateTimeOffset HeldAt) : IFederationEvent;

/// <summary>One threshold of a release gate applied to one measured value.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Slice">The slice measured; null for all data; <c>"*"</c> only when a threshold on every slice found no slice with enough samples (that check fails: nothing was measured).</param>
/// <param name="Minimum">The threshold's lower bound, if any.</param>
/// <param name="Maximum">The threshold's upper bound, if any.</param>
/// <param name="Measured">The sample-weighted federated value; null when no evaluation reported it (which fails).</param>
/// <param name="SampleCount">Samples behind the measured value.</param>
/// <param name="Passed">Whether the measured value is within the bounds.</param>
public sealed record GateCheck(string Metric, string? Slice, double? Minimum, double? Maximum, double? Measured, long SampleCount, bool Passed);

/// <summary>An evaluation report a release decision used.</summary>
/// <param name="GatewayId">The reporting gateway.</param>
/// <param name="KeyId">The key that signed the report.</param>
/// <param name="ReportSha256">SHA-256 of the signed report's UTF-8 bytes, as recorded in its evaluation-recorded event.</param>
public sealed record EvaluationUsed(string GatewayId, string KeyId, string ReportSha256);
