namespace Federation.EventStore;

/// <summary>An event as stored.</summary>
/// <param name="Position">The event's global position: 1, 2, 3, … in commit order, without gaps.</param>
/// <param name="StreamId">The stream the event belongs to.</param>
/// <param name="StreamVersion">The event's version within its stream: 1, 2, 3, …</param>
/// <param name="EventId">The event's unique id.</param>
/// <param name="Type">The event's type name.</param>
/// <param name="Data">The event's JSON text, exactly as it was appended.</param>
/// <param name="Metadata">The event's metadata.</param>
/// <param name="Timestamp">When the event was appended (UTC), from the store's clock.</param>
public sealed record RecordedEvent(
    long Position,
    string StreamId,
    long StreamVersion,
    Guid EventId,
    string Type,
    string Data,
    EventMetadata Metadata,
    DateTimeOffset Timestamp);
