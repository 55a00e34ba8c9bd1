using Federation.Contracts.Signing;

namespace Federation.Contracts.Events;

/// <summary>A gateway's signed evaluation of a model version was verified and recorded.</summary>
/// <param name="ModelVersion">The evaluated version.</param>
/// <param name="GatewayId">The reporting gateway.</param>
/// <param name="KeyId">The key that signed the report.</param>
/// <param name="Metrics">The reported metrics.</param>
/// <param name="Report">The signed report, byte-exact as received.</param>
/// <param name="Signature">The Ed25519 signature, base64.</param>
/// <param name="RecordedAt">When it was recorded.</param>
public sealed record EvaluationRecorded(
    int ModelVersion,
    string GatewayId,
    string KeyId,
    IReadOnlyList<MetricValue> Metrics,
    string Report,
    string Signature,
    DateTimeOffset RecordedAt) : IFederationEvent;
