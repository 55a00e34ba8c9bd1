using System.Globalization;
using System.Text;

namespace Federation.Trust.Tests;

public class EcmaScriptNumberTests
{
    /// <summary>
    /// RFC 8785 Appendix B, "Number Serialization Samples": IEEE-754 bits and the JCS
    /// text. Checked against the table in the cyberphone draft, several independent
    /// RFC 8785 test suites, and JSON.stringify in Node.js.
    /// </summary>
    public static TheoryData<string, string> AppendixB => new()
    {
        { "0000000000000000", "0" },
        { "8000000000000000", "0" },
        { "0000000000000001", "5e-324" },
        { "8000000000000001", "-5e-324" },
        { "7fefffffffffffff", "1.7976931348623157e+308" },
        { "ffefffffffffffff", "-1.7976931348623157e+308" },
        { "4340000000000000", "9007199254740992" },
        { "c340000000000000", "-9007199254740992" },
        { "4430000000000000", "295147905179352830000" },
        { "44b52d02c7e14af5", "9.999999999999997e+22" },
        { "44b52d02c7e14af6", "1e+23" },
        { "44b52d02c7e14af7", "1.0000000000000001e+23" },
        { "444b1ae4d6e2ef4e", "999999999999999700000" },
        { "444b1ae4d6e2ef4f", "999999999999999900000" },
        { "444b1ae4d6e2ef50", "1e+21" },
        { "3eb0c6f7a0b5ed8c", "9.999999999999997e-7" },
        { "3eb0c6f7a0b5ed8d", "0.000001" },
        { "41b3de4355555553", "333333333.3333332" },
        { "41b3de4355555554", "333333333.33333325" },
        { "41b3de4355555555", "333333333.3333333" },
        { "41b3de4355555556", "333333333.3333334" },
        { "41b3de4355555557", "333333333.33333343" },
        { "becbf647612f3696", "-0.0000033333333333333333" },
        { "43143ff3c1cb0959", "1424953923781206.2" },
    };

    [Theory]
    [MemberData(nameof(AppendixB))]
    public void Number_is_written_as_in_RFC_8785_appendix_B(string ieee754Bits, string expected)
    {
        Format(FromBits(ieee754Bits)).ShouldBe(expected);
    }

    [Theory]
    [MemberData(nameof(AppendixB))]
    public void Number_in_JSON_text_is_canonicalized_as_in_RFC_8785_appendix_B(string ieee754Bits, string expected)
    {
        var json = FromBits(ieee754Bits).ToString("R", CultureInfo.InvariantCulture);

        Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json))).ShouldBe(expected);
    }

    [Theory]
    [InlineData("7fffffffffffffff")] // NaN
    [InlineData("7ff0000000000000")] // Infinity
    [InlineData("fff0000000000000")] // -Infinity
    public void NaN_and_infinities_have_no_JSON_spelling(string ieee754Bits)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Format(FromBits(ieee754Bits)));
    }

    [Theory]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(1e-6, "0.000001")]
    [InlineData(1e30, "1e+30")]
    [InlineData(123.0, "123")]
    [InlineData(0.1, "0.1")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    public void Layout_switches_between_fixed_and_exponential_where_ECMAScript_does(double value, string expected)
    {
        Format(value).ShouldBe(expected);
    }

    private static double FromBits(string hex) => BitConverter.Int64BitsToDouble(Convert.ToInt64(hex, 16));

    private static string Format(double value)
    {
        var output = new StringBuilder();
        EcmaScriptNumber.Append(output, value);
        return output.ToString();
    }
}
