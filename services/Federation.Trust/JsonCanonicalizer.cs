using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Federation.Trust;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): one exact byte sequence per JSON
/// value, so that values can be hashed and signed and checked by anyone who
/// canonicalizes the same value, whatever whitespace, member order or escaping
/// the copy in their hands uses.
/// </summary>
/// <remarks>
/// Output is UTF-8 without whitespace; object members are sorted by their names as
/// arrays of UTF-16 code units; strings and numbers are written as ECMAScript's
/// JSON.stringify writes them. Input that has no single canonical form is rejected
/// with a <see cref="JsonException"/>: duplicate member names, lone surrogates, and
/// numbers beyond the range of an IEEE-754 double. Nesting deeper than 64 levels is
/// rejected too (the System.Text.Json default), which also bounds the recursion here.
/// </remarks>
public static class JsonCanonicalizer
{
    // Throws on anything that cannot be encoded instead of writing U+FFFD, so an
    // error can never be silently canonicalized into different data.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Canonicalizes one JSON value given as UTF-8 text.</summary>
    /// <exception cref="JsonException">The text is not JSON, or has no canonical form (see remarks on the class).</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json.ToArray());
        var output = new StringBuilder();
        Write(output, document.RootElement);
        return StrictUtf8.GetBytes(output.ToString());
    }

    /// <summary>Canonicalizes a JSON node; null is the JSON literal null.</summary>
    /// <remarks>
    /// The node is written with System.Text.Json first; see the remarks on <see cref="Serialize{T}"/>.
    /// Beware that a .NET string converts implicitly to a <see cref="JsonNode"/> holding a
    /// JSON string value: to canonicalize JSON text, pass its UTF-8 bytes instead.
    /// </remarks>
    /// <exception cref="JsonException">The node has no canonical form (see remarks on the class).</exception>
    public static byte[] Canonicalize(JsonNode? node) => Serialize(node);

    /// <summary>Serializes <paramref name="value"/> with System.Text.Json, then canonicalizes the result.</summary>
    /// <param name="value">The value to serialize.</param>
    /// <param name="options">Serializer options (naming policy, converters); formatting options have no effect on the result.</param>
    /// <remarks>
    /// System.Text.Json, not this class, turns .NET values into JSON: it refuses NaN and
    /// infinities (ArgumentException) unless the options allow named literals, and it
    /// replaces lone surrogates in .NET strings with U+FFFD. Both happen before
    /// canonicalization, so the second cannot be reported here; JSON text given to
    /// <see cref="Canonicalize(ReadOnlySpan{byte})"/> is checked strictly.
    /// </remarks>
    /// <exception cref="JsonException">The serialized value has no canonical form (see remarks on the class).</exception>
    public static byte[] Serialize<T>(T value, JsonSerializerOptions? options = null) =>
        Canonicalize(JsonSerializer.SerializeToUtf8Bytes(value, options));

    private static void Write(StringBuilder output, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(output, element);
                break;
            case JsonValueKind.Array:
                WriteArray(output, element);
                break;
            case JsonValueKind.String:
                WriteString(output, ReadString(element));
                break;
            case JsonValueKind.Number:
                EcmaScriptNumber.Append(output, ReadNumber(element));
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                throw new JsonException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    private static void WriteObject(StringBuilder output, JsonElement element)
    {
        var members = new List<KeyValuePair<string, JsonElement>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = ReadName(property);

            // JSON parsers disagree on which duplicate wins, so a document with one
            // means different things to different readers: there is nothing to sign.
            if (!names.Add(name))
            {
                throw new JsonException($"Duplicate property name \"{name}\": JCS requires unique property names.");
            }

            members.Add(new(name, property.Value));
        }

        // Ordinal string comparison compares UTF-16 code units, exactly the JCS order.
        members.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));

        output.Append('{');
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                output.Append(',');
            }

            WriteString(output, members[i].Key);
            output.Append(':');
            Write(output, members[i].Value);
        }

        output.Append('}');
    }

    private static void WriteArray(StringBuilder output, JsonElement element)
    {
        output.Append('[');
        var first = true;
        foreach (var item in element.EnumerateArray())
        {
            if (!first)
            {
                output.Append(',');
            }

            first = false;
            Write(output, item);
        }

        output.Append(']');
    }

    private static void WriteString(StringBuilder output, string value)
    {
        try
        {
            JcsString.Append(output, value);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    private static double ReadNumber(JsonElement element)
    {
        // JCS numbers are IEEE-754 doubles (I-JSON); larger integers are rounded to
        // the nearest double, as JavaScript would. Only values a double cannot hold
        // at all (such as 1e400) are rejected.
        if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            throw new JsonException($"The number {element.GetRawText()} is outside the range of an IEEE-754 double.");
        }

        return value;
    }

    private static string ReadString(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // No raw text in the message: printing it would hit the same bad bytes.
            throw new JsonException("A string is not valid Unicode (a lone surrogate or invalid UTF-8).", e);
        }
    }

    private static string ReadName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("A property name is not valid Unicode (a lone surrogate or invalid UTF-8).", e);
        }
    }
}
