namespace Federation.EventStore;

/// <summary>The outcome of <see cref="IEventStore.AppendAsync"/>.</summary>
/// <param name="StreamVersion">The stream's version after the append (the version of its last appended event).</param>
/// <param name="LastPosition">The global position of the last appended event.</param>
public sealed record AppendResult(long StreamVersion, long LastPosition);
