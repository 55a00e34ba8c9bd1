using System.Globalization;
using System.Text;

namespace Federation.Trust;

/// <summary>
/// Writes a JSON string as RFC 8785 §3.2.2.2 requires (ECMAScript JSON.stringify).
/// </summary>
/// <remarks>
/// Only the quote, the backslash and the C0 controls are escaped; everything else,
/// including '/', non-ASCII and U+2028, is written as itself. General-purpose JSON
/// writers escape more (System.Text.Json escapes '+', '&lt;' and non-ASCII by
/// default), which is why they cannot be used for canonical output.
/// </remarks>
internal static class JcsString
{
    /// <summary>Appends <paramref name="value"/> quoted and escaped.</summary>
    /// <exception cref="FormatException">The string contains a lone surrogate, which has no UTF-8 encoding.</exception>
    internal static void Append(StringBuilder output, string value)
    {
        output.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\b': output.Append("\\b"); break;
                case '\t': output.Append("\\t"); break;
                case '\n': output.Append("\\n"); break;
                case '\f': output.Append("\\f"); break;
                case '\r': output.Append("\\r"); break;
                case < ' ':
                    output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (char.IsSurrogate(c))
                    {
                        if (!char.IsHighSurrogate(c) || i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                        {
                            throw new FormatException(
                                $"The string contains a lone surrogate U+{(int)c:X4} at index {i}; JCS requires valid Unicode.");
                        }

                        output.Append(c).Append(value[++i]);
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}
