namespace Federation.EventStore;

/// <summary>Information about an event that is not part of its data.</summary>
/// <param name="CorrelationId">The id of the overall operation the event belongs to, if any.</param>
/// <param name="CausationId">The id of the message or event that caused this one, if any.</param>
/// <param name="Headers">Free-form string headers.</param>
public sealed record EventMetadata(Guid? CorrelationId, Guid? CausationId, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>Metadata with no correlation, no causation and no headers.</summary>
    public static EventMetadata Empty { get; } =
        new(null, null, System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty);
}
