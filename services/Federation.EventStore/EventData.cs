namespace Federation.EventStore;

/// <summary>An event to append.</summary>
/// <param name="EventId">A unique, non-empty id; appends are idempotent by it.</param>
/// <param name="Type">The event's type name.</param>
/// <param name="Data">
/// The event's JSON text. It is stored and returned exactly as given (it is later hashed into a Merkle log),
/// so it must never be parsed and re-serialized on the way in or out.
/// </param>
/// <param name="Metadata">Correlation, causation and free-form headers.</param>
public sealed record EventData(Guid EventId, string Type, string Data, EventMetadata Metadata);
