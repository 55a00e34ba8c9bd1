namespace Federation.Contracts.Events;

/// <summary>An operator paused a task: no round of it opens until it is resumed; an open round runs to its end.</summary>
/// <param name="Task">The task.</param>
/// <param name="Reason">Why, in the operator's words.</param>
/// <param name="PausedBy">The operator credential's name.</param>
/// <param name="PausedAt">When.</param>
public sealed record TaskPaused(string Task, string Reason, string PausedBy, DateTimeOffset PausedAt) : IFederationEvent;

/// <summary>An operator resumed a paused task.</summary>
/// <param name="Task">The task.</param>
/// <param name="ResumedBy">The operator credential's name.</param>
/// <param name="ResumedAt">When.</param>
public sealed record TaskResumed(string Task, string ResumedBy, DateTimeOffset ResumedAt) : IFederationEvent;

/// <summary>An operator retired a task for good: no round of it opens again; its history stays.</summary>
/// <param name="Task">The task.</param>
/// <param name="Reason">Why, in the operator's words.</param>
/// <param name="RetiredBy">The operator credential's name.</param>
/// <param name="RetiredAt">When.</param>
public sealed record TaskRetired(string Task, string Reason, string RetiredBy, DateTimeOffset RetiredAt) : IFederationEvent;
