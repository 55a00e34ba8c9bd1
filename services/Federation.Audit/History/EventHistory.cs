using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text;
using Federation.Contracts.Events;
using Federation.Contracts;
using Federation.EventStore;
using Federation.Trust;

namespace Federation.Audit.History;

/// <summary>
/// The aggregator's append-only history as typed federation events. Event data is stored as
/// RFC 8785 canonical JSON, so the stored bytes are already the form that is hashed and signed.
/// </summary>
public sealed class EventHistory(IEventStore store)
{
    /// <summary>The underlying store.</summary>
    public IEventStore Store => store;

    /// <summary>
    /// Notified after every append through this history, so subscriptions in this process (the announcement
    /// publisher) read the new event at once rather than at their next poll.
    /// </summary>
    public AppendSignal Appended { get; } = new();

    /// <summary>Appends events to a stream, expecting the stream to be at <paramref name="expectedVersion"/>.</summary>
    /// <exception cref="WrongExpectedVersionException">Someone else appended first.</exception>
    public async Task<AppendResult> AppendAsync(string streamId, long expectedVersion, IFederationEvent @event, CancellationToken cancellationToken = default)
    {
        var result = await store.AppendAsync(streamId, expectedVersion, [ToEventData(@event)], cancellationToken);
        Appended.Notify();
        return result;
    }

    /// <summary>
    /// Appends an event caused by a bus message, recording the message id as the event's causation
    /// id, so a redelivery of the same message can be recognized after a restart.
    /// </summary>
    /// <exception cref="WrongExpectedVersionException">Someone else appended first.</exception>
    public Task<AppendResult> AppendAsync(string streamId, long expectedVersion, IFederationEvent @event, Guid? causationId, CancellationToken cancellationToken = default) =>
        store.AppendAsync(streamId, expectedVersion, [ToEventData(@event) with { Metadata = EventMetadata.Empty with { CausationId = causationId } }], cancellationToken);

    /// <summary>Reads one stream as typed events with their positions.</summary>
    public async IAsyncEnumerable<HistoryEntry> ReadStreamAsync(string streamId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var recorded in store.ReadStreamAsync(streamId, 1, cancellationToken))
        {
            yield return new HistoryEntry(recorded, Deserialize(recorded));
        }
    }

    /// <summary>Reads the whole history in global order as typed events.</summary>
    public async IAsyncEnumerable<HistoryEntry> ReadAllAsync(long fromPosition = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var recorded in store.ReadAllAsync(fromPosition, cancellationToken))
        {
            yield return new HistoryEntry(recorded, Deserialize(recorded));
        }
    }

    /// <summary>The stored form of an event.</summary>
    public static EventData ToEventData(IFederationEvent @event)
    {
        // Serialize the runtime type: serializing the interface would write no members.
        var json = JsonSerializer.SerializeToUtf8Bytes(@event, @event.GetType(), FederationJson.Options);
        var canonical = JsonCanonicalizer.Canonicalize(json);
        return new EventData(Guid.CreateVersion7(), EventTypes.NameOf(@event.GetType()), Encoding.UTF8.GetString(canonical), EventMetadata.Empty);
    }

    /// <summary>Reads a stored event back into its record.</summary>
    /// <exception cref="InvalidDataException">The stored type is unknown or its data does not match it.</exception>
    public static IFederationEvent Deserialize(RecordedEvent recorded)
    {
        var type = EventTypes.TypeOf(recorded.Type)
            ?? throw new InvalidDataException($"Event at position {recorded.Position} has unknown type '{recorded.Type}'.");
        return (IFederationEvent?)JsonSerializer.Deserialize(recorded.Data, type, FederationJson.Options)
            ?? throw new InvalidDataException($"Event at position {recorded.Position} has no data.");
    }
}

/// <summary>A typed event together with where it is stored.</summary>
/// <param name="Recorded">The stored event (position, stream, version, timestamp).</param>
/// <param name="Event">The typed event.</param>
public sealed record HistoryEntry(RecordedEvent Recorded, IFederationEvent Event);
