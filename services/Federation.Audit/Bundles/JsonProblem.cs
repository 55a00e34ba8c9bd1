using System.Text.Json;
using System.Text.RegularExpressions;

namespace Federation.Audit.Bundles;

/// <summary>
/// Says what a <see cref="JsonException"/> found in a bundle file in the format's own terms (which
/// member, what was wrong with it) instead of the .NET parser's text with its "Path: $ | LineNumber"
/// suffix and .NET type names.
/// </summary>
internal static partial class JsonProblem
{
    /// <summary>
    /// The location of the problem: <paramref name="where"/> (the file and line), then the member the
    /// parser was at, under <paramref name="prefix"/> (e.g. <c>data</c> for an event's data).
    /// </summary>
    public static string Where(string where, string prefix, JsonException error)
    {
        var member = MemberOf(error) is { Length: > 0 } path ? path : null;
        var field = (prefix, member) switch
        {
            ("", null) => null,
            ("", _) => member,
            (_, null) => prefix,
            _ => $"{prefix}.{member}",
        };
        return field is null ? where : $"{where}, field {field}";
    }

    /// <summary>What is wrong, without the parser's position suffix or .NET type names.</summary>
    public static string Describe(JsonException error)
    {
        var message = Suffix().Replace(error.Message, "").Trim();
        if (Unmapped().Match(message) is { Success: true } unmapped)
        {
            return $"it has a member '{unmapped.Groups[1].Value}' that the format does not define (every member is fixed, there are no others).";
        }

        if (MissingRequired().Match(message) is { Success: true } missing)
        {
            return $"it lacks the required member(s) {missing.Groups[1].Value}.";
        }

        if (NotConvertible().Match(message) is { Success: true } convert)
        {
            return $"the value is not {Expected(convert.Groups[1].Value)}.";
        }

        var at = error.BytePositionInLine is { } column ? $" (at character {column + 1})" : "";
        return $"it is not valid JSON: {message.TrimEnd('.')}{at}.";
    }

    // "$.data.keyId" → "data.keyId"; "$['odd name']" → "odd name"; "$" → "".
    private static string MemberOf(JsonException error) =>
        (error.Path ?? "$").TrimStart('$').TrimStart('.').Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');

    private static string Expected(string dotnetType) => dotnetType.TrimEnd('.') switch
    {
        "System.Int64" or "System.Int32" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.Double" or "System.Nullable`1[System.Double]" => "a number",
        "System.String" => "a string",
        "System.Boolean" => "true or false",
        "System.Guid" => "a UUID (lowercase, with hyphens)",
        "System.DateTimeOffset" or "System.Nullable`1[System.DateTimeOffset]" => "an ISO 8601 time with offset",
        var type when type.Contains("RejectionReason", StringComparison.Ordinal) || type.Contains("RoundOutcome", StringComparison.Ordinal) => "one of the kebab-case names the format lists",
        var type when type.Contains("List", StringComparison.Ordinal) || type.Contains("[]", StringComparison.Ordinal) => "an array of the documented kind",
        _ => "of the JSON type docs/FORMATS.md gives for this member",
    };

    [GeneratedRegex(@"\s*(Path: .*|LineNumber: .*)$")]
    private static partial Regex Suffix();

    [GeneratedRegex(@"^The JSON property '(.*)' could not be mapped to any \.NET member")]
    private static partial Regex Unmapped();

    [GeneratedRegex(@"was missing required properties(?: including)?: (.*?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"^The JSON value could not be converted to (.*?)\.?$")]
    private static partial Regex NotConvertible();
}
