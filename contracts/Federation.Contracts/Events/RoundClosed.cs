namespace Federation.Contracts.Events;

/// <summary>A round stopped taking contributions.</summary>
/// <param name="Round">The round.</param>
/// <param name="Outcome">Why it closed.</param>
/// <param name="AcceptedCount">Contributions accepted in the round.</param>
/// <param name="RejectedCount">Contributions rejected in the round.</param>
/// <param name="Detail">Why, when the outcome needs explaining (an aggregation failure); otherwise null.</param>
/// <param name="ClosedAt">When it closed.</param>
public sealed record RoundClosed(
    int Round,
    RoundOutcome Outcome,
    int AcceptedCount,
    int RejectedCount,
    string? Detail,
    DateTimeOffset ClosedAt) : IFederationEvent;
