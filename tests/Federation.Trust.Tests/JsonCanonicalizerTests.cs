using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Federation.Trust.Tests;

public class JsonCanonicalizerTests
{
    // RFC 8785 §3.2.2, the whole example.
    private static readonly byte[] Rfc8785PrimitivesInput = """
        {
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """u8.ToArray();

    // RFC 8785 §3.2.4: the canonical form of the example above, as UTF-8 bytes.
    private static readonly byte[] Rfc8785PrimitivesOutput = Convert.FromHexString(
        """
        7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e
        75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30
        2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24
        5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
        """.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal));

    // RFC 8785 §3.2.3, the property sorting example.
    private static readonly byte[] Rfc8785SortingInput = """
        {
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }
        """u8.ToArray();

    [Fact]
    public void RFC_8785_primitives_example_gives_the_published_bytes()
    {
        JsonCanonicalizer.Canonicalize(Rfc8785PrimitivesInput).ShouldBe(Rfc8785PrimitivesOutput);
    }

    [Fact]
    public void RFC_8785_primitives_example_gives_the_published_text()
    {
        Text(JsonCanonicalizer.Canonicalize(Rfc8785PrimitivesInput)).ShouldBe(
            """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""");
    }

    [Fact]
    public void RFC_8785_sorting_example_orders_names_by_UTF_16_code_units()
    {
        // The emoji's first code unit is U+D83D, so it sorts before U+FB33 even though
        // its code point (U+1F600) is larger.
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
            + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
            + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";

        Text(JsonCanonicalizer.Canonicalize(Rfc8785SortingInput)).ShouldBe(expected);
    }

    [Fact]
    public void Whitespace_between_tokens_is_removed()
    {
        Canonical(" \n\t{ \"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } } \n").ShouldBe("""{"a":[1,2],"b":{}}""");
    }

    [Fact]
    public void Nested_objects_are_sorted_at_every_depth()
    {
        Canonical("""{"b":[{"z":1,"a":[{"y":true,"x":null}]}],"a":{"d":{"c":2,"b":1}}}""")
            .ShouldBe("""{"a":{"d":{"b":1,"c":2}},"b":[{"a":[{"x":null,"y":true}],"z":1}]}""");
    }

    [Fact]
    public void Array_elements_keep_their_order()
    {
        Canonical("""[3,"b",1,"a",{"b":0,"a":0},null]""").ShouldBe("""[3,"b",1,"a",{"a":0,"b":0},null]""");
    }

    [Fact]
    public void Shorter_name_sorts_before_a_longer_name_it_starts()
    {
        Canonical("""{"ab":1,"a":2,"":3}""").ShouldBe("""{"":3,"a":2,"ab":1}""");
    }

    [Fact]
    public void Canonicalizing_canonical_output_changes_nothing()
    {
        foreach (var input in new[] { Rfc8785PrimitivesInput, Rfc8785SortingInput, """{"b":[{"z":1e-7,"a":"\u001f"}]}"""u8.ToArray() })
        {
            var once = JsonCanonicalizer.Canonicalize(input);

            JsonCanonicalizer.Canonicalize(once).ShouldBe(once);
        }
    }

    [Fact]
    public void Duplicate_property_names_are_rejected()
    {
        var error = Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize("""{"a":1,"b":2,"a":3}"""u8));

        error.Message.ShouldContain("\"a\"");
        error.Message.ShouldContain("unique");
    }

    [Fact]
    public void Names_that_are_equal_after_unescaping_are_duplicates()
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize("""{"a":1,"\u0061":2}"""u8));
    }

    [Fact]
    public void Duplicate_property_names_in_a_nested_object_are_rejected()
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize("""{"outer":[{"x":1,"x":1}]}"""u8));
    }

    [Fact]
    public void Same_name_in_different_objects_is_not_a_duplicate()
    {
        Canonical("""{"a":{"a":1},"b":{"a":2}}""").ShouldBe("""{"a":{"a":1},"b":{"a":2}}""");
    }

    [Fact]
    public void Quote_backslash_and_short_escapes_are_written_as_two_characters()
    {
        Canonical("""["\"","\\","\b","\t","\n","\f","\r"]""").ShouldBe("""["\"","\\","\b","\t","\n","\f","\r"]""");
    }

    [Fact]
    public void Other_control_characters_are_written_as_lowercase_unicode_escapes()
    {
        Canonical("""["\u0000","\u0001","\u000B","\u001F","\u001f"]""")
            .ShouldBe("""["\u0000","\u0001","\u000b","\u001f","\u001f"]""");
    }

    [Fact]
    public void Everything_else_is_written_as_itself()
    {
        // '/', '<', '+', DEL, non-ASCII and U+2028 are all escaped by some JSON writers.
        Canonical("""["\/","\u003c","\u002b","\u007f","\u00e9","\u2028","\ud83d\ude00"]""")
            .ShouldBe("[\"/\",\"<\",\"+\",\"\u007f\",\"\u00e9\",\"\u2028\",\"\ud83d\ude00\"]");
    }

    [Theory]
    [InlineData("""["\ud800"]""")]
    [InlineData("""["\udc00"]""")]
    [InlineData("""["\ud800x"]""")]
    [InlineData("""["\ud800\ud800"]""")]
    [InlineData("""{"\ud800":1}""")]
    public void Lone_surrogates_are_rejected(string json)
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Invalid_UTF_8_is_rejected()
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize([(byte)'"', 0xff, (byte)'"']));
    }

    [Theory]
    [InlineData("1.0", "1")]
    [InlineData("1E2", "100")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("0.1", "0.1")]
    [InlineData("1e-400", "0")]
    [InlineData("9007199254740993", "9007199254740992")]
    public void Numbers_are_read_as_IEEE_754_doubles(string json, string expected)
    {
        Canonical(json).ShouldBe(expected);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    public void Numbers_beyond_the_range_of_a_double_are_rejected(string json)
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData(" null ", "null")]
    [InlineData("\"x\"", "\"x\"")]
    [InlineData("[]", "[]")]
    [InlineData("{}", "{}")]
    public void Literals_and_top_level_scalars_are_written_as_is(string json, string expected)
    {
        Canonical(json).ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 2")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{'a':1}")]
    [InlineData("[1] // comment")]
    [InlineData("NaN")]
    public void Text_that_is_not_JSON_is_rejected(string json)
    {
        Should.Throw<JsonException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Node_is_canonicalized_like_its_JSON_text()
    {
        var node = JsonNode.Parse(Rfc8785SortingInput);

        JsonCanonicalizer.Canonicalize(node).ShouldBe(JsonCanonicalizer.Canonicalize(Rfc8785SortingInput));
    }

    [Fact]
    public void Node_built_in_code_is_sorted()
    {
        var node = new JsonObject
        {
            ["z"] = 1.5,
            ["a"] = new JsonArray(1, "two", null, true),
            ["m"] = new JsonObject { ["y"] = 1e30, ["x"] = "/" },
        };

        Text(JsonCanonicalizer.Canonicalize(node)).ShouldBe("""{"a":[1,"two",null,true],"m":{"x":"/","y":1e+30},"z":1.5}""");
    }

    [Fact]
    public void Dotnet_string_argument_is_a_JSON_string_value_not_JSON_text()
    {
        // string converts implicitly to JsonNode; JSON text must be passed as UTF-8 bytes.
        Text(JsonCanonicalizer.Canonicalize("{\"b\":1}")).ShouldBe("\"{\\\"b\\\":1}\"");
    }

    [Fact]
    public void Null_node_is_the_literal_null()
    {
        Text(JsonCanonicalizer.Canonicalize((JsonNode?)null)).ShouldBe("null");
    }

    [Fact]
    public void Serialized_object_is_canonical()
    {
        var value = new Update("plant-7", 0.000001, ["b", "a"], "€<>&+");

        Text(JsonCanonicalizer.Serialize(value))
            .ShouldBe("""{"Round":0.000001,"Tags":["b","a"],"Unit":"€<>&+","Worker":"plant-7"}""");
    }

    [Fact]
    public void Serializer_options_are_honoured_but_formatting_is_not()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

        Text(JsonCanonicalizer.Serialize(new Update("w", 2.0, [], ""), options))
            .ShouldBe("""{"round":2,"tags":[],"unit":"","worker":"w"}""");
    }

    [Fact]
    public void NaN_cannot_be_serialized()
    {
        Should.Throw<ArgumentException>(() => JsonCanonicalizer.Serialize(double.NaN));
    }

    private static string Canonical(string json) => Text(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

    private static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);

    public sealed record Update(string Worker, double Round, string[] Tags, string Unit);
}
