using Federation.Contracts.Events;

namespace Federation.Audit;

/// <summary>A failed check: the machine-readable reason and what a person should know.</summary>
/// <param name="Reason">The reason code recorded in the history.</param>
/// <param name="Detail">What exactly was wrong.</param>
public sealed record Rejection(RejectionReason Reason, string Detail);
