using System.Globalization;
using System.Text;

namespace Federation.Trust;

/// <summary>
/// Writes a double the way ECMAScript's Number::toString does (ECMA-262), which is
/// what RFC 8785 prescribes for JSON numbers.
/// </summary>
/// <remarks>
/// .NET's "R" format already finds the shortest digit string that round-trips, the
/// hard part. Only the layout differs (.NET writes "1E+23", ECMAScript "1e+23";
/// .NET switches to exponents at other magnitudes), so this class takes the digits
/// and exponent from .NET and lays them out by the ECMAScript rules.
/// </remarks>
internal static class EcmaScriptNumber
{
    /// <summary>Appends the ECMAScript spelling of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN or an infinity: JSON has no spelling for them.</exception>
    internal static void Append(StringBuilder output, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "JSON numbers cannot be NaN or infinite.");
        }

        // Covers -0 as well, which ECMAScript writes as "0".
        if (value == 0)
        {
            output.Append('0');
            return;
        }

        if (value < 0)
        {
            output.Append('-');
            value = -value;
        }

        var (digits, n) = ShortestDigits(value);
        AppendLayout(output, digits, n);
    }

    /// <summary>
    /// The shortest digits s (no leading or trailing zeros) and the decimal exponent n
    /// with value = 0.s × 10^n, as ECMA-262 names them.
    /// </summary>
    private static (string Digits, int N) ShortestDigits(double positive)
    {
        var text = positive.ToString("R", CultureInfo.InvariantCulture);

        var exponent = 0;
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var point = text.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = point >= 0 ? point : text.Length;
        var allDigits = text.Replace(".", string.Empty, StringComparison.Ordinal);

        // "0.000123" has leading zeros that only move the decimal point.
        var significant = allDigits.TrimStart('0');
        var n = integerDigits + exponent - (allDigits.Length - significant.Length);
        return (significant.TrimEnd('0'), n);
    }

    /// <summary>ECMA-262 Number::toString, steps for k digits s and exponent n.</summary>
    private static void AppendLayout(StringBuilder output, string s, int n)
    {
        var k = s.Length;
        if (k <= n && n <= 21)
        {
            // Integer: 295147905179352830000
            output.Append(s).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            // Point inside the digits: 333333333.3333333
            output.Append(s, 0, n).Append('.').Append(s, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            // Small, but not yet exponential: 0.000001
            output.Append("0.").Append('0', -n).Append(s);
        }
        else
        {
            // Exponential: 1e+23, 9.999999999999997e-7
            output.Append(s[0]);
            if (k > 1)
            {
                output.Append('.').Append(s, 1, k - 1);
            }

            var exponent = n - 1;
            output.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString(CultureInfo.InvariantCulture));
        }
    }
}
