using System.Text.Json;
using System.Text.Json.Serialization;

namespace Federation.Contracts;

/// <summary>
/// The one JSON shape used for persisted events and signed documents: camelCase names,
/// enums as kebab-case strings, and strict reading (unknown or missing members are errors),
/// so a malformed document is refused instead of half-read.
/// </summary>
public static class FederationJson
{
    /// <summary>Options for writing and strictly reading events and signed documents.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
