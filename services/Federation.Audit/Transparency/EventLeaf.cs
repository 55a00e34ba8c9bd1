using System.Globalization;
using System.Text.Json.Nodes;
using Federation.EventStore;
using Federation.Trust;

namespace Federation.Audit.Transparency;

/// <summary>
/// The bytes of one event as a leaf of the history's Merkle tree: the RFC 8785 canonical JSON of
/// everything stored about the event (where it sits, what it is, when, and its data), so a change
/// to any stored field changes the leaf hash. docs/FORMATS.md section 9 gives the layout.
/// </summary>
public static class EventLeaf
{
    /// <summary>The leaf bytes of a stored event.</summary>
    public static byte[] Bytes(RecordedEvent recorded)
    {
        var headers = new JsonObject();
        foreach (var (name, value) in recorded.Metadata.Headers.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            headers[name] = value;
        }

        var leaf = new JsonObject
        {
            ["position"] = recorded.Position,
            ["streamId"] = recorded.StreamId,
            ["streamVersion"] = recorded.StreamVersion,
            ["eventId"] = recorded.EventId.ToString("D"),
            ["type"] = recorded.Type,
            ["timestamp"] = recorded.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["metadata"] = new JsonObject
            {
                ["correlationId"] = recorded.Metadata.CorrelationId?.ToString("D"),
                ["causationId"] = recorded.Metadata.CausationId?.ToString("D"),
                ["headers"] = headers,
            },
            ["data"] = JsonNode.Parse(recorded.Data),
        };
        return JsonCanonicalizer.Canonicalize(leaf);
    }
}
