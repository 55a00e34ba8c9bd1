using System.Text.Json.Serialization;
using System.Text.Json;

namespace Federation.Contracts.Api;

/// <summary>JSON as the aggregator's HTTP API writes it, for every client that reads it.</summary>
public static class ApiJson
{
    /// <summary>camelCase members, enums as kebab-case strings.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}
