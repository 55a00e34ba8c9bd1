namespace Federation.Contracts.Events;

/// <summary>An evaluation report failed a check.</summary>
/// <param name="ModelVersion">The version the report names, if it could be read.</param>
/// <param name="GatewayId">The gateway the report names, if it could be read.</param>
/// <param name="Reason">Machine-readable reason.</param>
/// <param name="Detail">What exactly was wrong.</param>
/// <param name="Report">The report as received.</param>
/// <param name="Signature">The signature as received.</param>
/// <param name="ReceivedAt">When the aggregator checked it.</param>
public sealed record EvaluationRejected(
    int? ModelVersion,
    string? GatewayId,
    RejectionReason Reason,
    string Detail,
    string Report,
    string Signature,
    DateTimeOffset ReceivedAt) : IFederationEvent;
