using Federation.Contracts.Events;

namespace Federation.Contracts.Api;

/// <summary>One round as the model team sees it, projected from the history.</summary>
/// <param name="Round">Round number.</param>
/// <param name="Outcome">How it closed; null while open.</param>
/// <param name="AcceptedGateways">Gateways whose contributions were accepted, in order.</param>
/// <param name="Rejections">Each rejection's reason, in order.</param>
/// <param name="ModelVersion">The model version the round produced, if any.</param>
/// <param name="ModelSha256">That version's hash.</param>
/// <param name="LocalAccuracy">Sample-weighted accuracy the gateways reported for that version, if any reported.</param>
/// <param name="LocalEvaluations">How many gateways reported on that version.</param>
public sealed record RoundSummary(
    int Round,
    RoundOutcome? Outcome,
    IReadOnlyList<string> AcceptedGateways,
    IReadOnlyList<RejectionReason> Rejections,
    int? ModelVersion,
    string? ModelSha256,
    double? LocalAccuracy,
    int LocalEvaluations);
