using System.Text;
using System.Text.Json;

namespace Federation.EventStore;

/// <summary>
/// Stores <see cref="EventMetadata"/> as one JSON object:
/// <c>{"correlationId":…,"causationId":…,"headers":{…}}</c>.
/// </summary>
internal static class MetadataJson
{
    public static string Serialize(EventMetadata metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteGuidOrNull(writer, "correlationId", metadata.CorrelationId);
            WriteGuidOrNull(writer, "causationId", metadata.CausationId);
            writer.WriteStartObject("headers");

            // Sorted so the same metadata always produces the same text (useful if it is ever hashed).
            foreach (var header in metadata.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                writer.WriteString(header.Key, header.Value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static EventMetadata Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in root.GetProperty("headers").EnumerateObject())
        {
            headers.Add(header.Name, header.Value.GetString()!);
        }

        return new EventMetadata(ReadGuidOrNull(root, "correlationId"), ReadGuidOrNull(root, "causationId"), headers);
    }

    private static void WriteGuidOrNull(Utf8JsonWriter writer, string name, Guid? value)
    {
        if (value is { } guid)
        {
            writer.WriteString(name, guid);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static Guid? ReadGuidOrNull(JsonElement root, string name) =>
        root.GetProperty(name) is { ValueKind: not JsonValueKind.Null } value ? value.GetGuid() : null;
}
