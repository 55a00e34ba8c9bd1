using System.Text;
using System.Text.Json;

namespace Federation.EventStore;

/// <summary>
/// Checks the arguments of <see cref="IEventStore"/> calls before anything is written, so an invalid event
/// anywhere in a batch rejects the whole batch and every backend rejects the same inputs.
/// </summary>
/// <remarks>
/// NUL is refused in stream ids and types because PostgreSQL text cannot hold it; SQLite could, and the two
/// backends must accept the same inputs. (Data and metadata are JSON, where a NUL is always escaped.)
/// </remarks>
internal static class EventStoreArguments
{
    // Throws on lone surrogates instead of silently replacing them with U+FFFD: stored text must be exactly
    // the caller's text, or the Merkle log would later hash something different from what was sent.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void ValidateStreamId(string streamId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamId);
        if (!IsValidUnicode(streamId))
        {
            throw new ArgumentException("The stream id must be valid Unicode (it contains a lone surrogate).", nameof(streamId));
        }

        if (streamId.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The stream id must not contain U+0000 (NUL).", nameof(streamId));
        }
    }

    public static void ValidateAppend(string streamId, long expectedVersion, IReadOnlyList<EventData> events)
    {
        ValidateStreamId(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedVersion, ExpectedVersion.Any);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("At least one event is required.", nameof(events));
        }

        var seenIds = new HashSet<Guid>();
        for (var i = 0; i < events.Count; i++)
        {
            ValidateEvent(events[i], i);
            if (!seenIds.Add(events[i].EventId))
            {
                throw Invalid(i, $"EventId {events[i].EventId} appears more than once in the batch");
            }
        }
    }

    private static void ValidateEvent(EventData? data, int index)
    {
        if (data is null)
        {
            throw Invalid(index, "the event is null");
        }

        if (data.EventId == Guid.Empty)
        {
            throw Invalid(index, "EventId must not be empty");
        }

        if (string.IsNullOrWhiteSpace(data.Type) || !IsValidUnicode(data.Type))
        {
            throw Invalid(index, "Type must be valid Unicode and not null, empty or whitespace");
        }

        if (data.Type.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid(index, "Type must not contain U+0000 (NUL)");
        }

        if (data.Data is null || !IsWellFormedJson(data.Data))
        {
            throw Invalid(index, "Data must be well-formed JSON text: exactly one JSON value, valid Unicode");
        }

        if (data.Metadata?.Headers is null)
        {
            throw Invalid(index, "Metadata and its Headers must not be null (use EventMetadata.Empty)");
        }

        foreach (var header in data.Metadata.Headers)
        {
            if (header.Value is null || !IsValidUnicode(header.Key) || !IsValidUnicode(header.Value))
            {
                throw Invalid(index, $"Metadata header '{header.Key}' must have a value, and both must be valid Unicode");
            }
        }
    }

    // Only reads the text, never rewrites it: validation must not change what gets stored.
    private static bool IsWellFormedJson(string text)
    {
        if (!IsValidUnicode(text))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsValidUnicode(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static ArgumentException Invalid(int index, string problem) =>
        new($"events[{index}]: {problem}.", "events");
}
