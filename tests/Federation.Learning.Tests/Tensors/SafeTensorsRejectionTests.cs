using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Tensors;

/// <summary>Every malformed file is refused with a <see cref="SafeTensorsFormatException"/> that says what is wrong.</summary>
public class SafeTensorsRejectionTests
{
    private static string Refusal(byte[] file) =>
        Should.Throw<SafeTensorsFormatException>(() => SafeTensors.Read(file)).Message;

    private static string Refusal(string headerJson, byte[]? data = null) =>
        Refusal(SafeTensorsBytes.File(headerJson, data));

    private static readonly byte[] EightBytes = new byte[8];

    [Fact]
    public void Reader_rejects_a_file_shorter_than_the_length_prefix()
    {
        Refusal(new byte[5]).ShouldContain("the file is 5 bytes long, but a safetensors file starts with an 8-byte header length");
    }

    [Fact]
    public void Reader_rejects_header_length_beyond_the_file()
    {
        Refusal(SafeTensorsBytes.WithClaimedHeaderLength(headerLength: 100, totalLength: 50))
            .ShouldContain("the header length 100 is larger than the 42 bytes that follow the 8-byte length prefix");
    }

    [Fact]
    public void Reader_rejects_header_length_beyond_the_100_MB_cap_without_allocating_it()
    {
        Refusal(SafeTensorsBytes.WithClaimedHeaderLength(headerLength: ulong.MaxValue, totalLength: 16))
            .ShouldContain("exceeds the safetensors limit of 100000000 bytes");
    }

    [Fact]
    public void Reader_also_checks_metadata_requests()
    {
        Should.Throw<SafeTensorsFormatException>(() => SafeTensors.ReadMetadata(new byte[3]));
    }

    [Fact]
    public void Reader_rejects_a_header_that_is_not_utf8()
    {
        Refusal(SafeTensorsBytes.File([(byte)'{', 0xFF, 0xFE, (byte)'}'])).ShouldContain("the header is not valid UTF-8");
    }

    [Fact]
    public void Reader_rejects_a_header_that_is_not_json()
    {
        Refusal("""{"w": {"dtype": "F32",""").ShouldContain("the header is not valid JSON");
    }

    [Fact]
    public void Reader_rejects_a_header_that_is_not_a_json_object()
    {
        Refusal("[1, 2]").ShouldContain("the header must be a JSON object, but it is an array");
    }

    [Fact]
    public void Reader_rejects_a_tensor_entry_that_is_not_an_object()
    {
        Refusal("""{"w": 5}""").ShouldContain("tensor 'w' must be a JSON object, but it is a number");
    }

    [Theory]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "dtype")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", "shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "data_offsets")]
    public void Reader_rejects_a_tensor_entry_missing_a_field(string header, string field)
    {
        Refusal(header, EightBytes).ShouldContain($"tensor 'w' has no \"{field}\"");
    }

    [Theory]
    [InlineData("""{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", "\"dtype\" that is a number instead of a string")]
    [InlineData("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", "\"shape\" that is a string instead of an array of integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":{"begin":0}}}""", "which is not [begin, end]")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}""", "which are not two non-negative integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"round":3}}""", "value for key 'round' must be a string, but it is a number")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":["a"]}""", "\"__metadata__\" must be a JSON object of strings")]
    public void Reader_rejects_fields_of_the_wrong_json_type(string header, string expected)
    {
        Refusal(header, EightBytes).ShouldContain(expected);
    }

    [Fact]
    public void Reader_rejects_an_unknown_dtype_and_names_it()
    {
        Refusal("""{"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("tensor 'w' has unknown dtype 'Q7'");
    }

    [Fact]
    public void Reader_rejects_a_known_but_unsupported_dtype()
    {
        Refusal("""{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("tensor 'w' has dtype I64, which is not supported: Federation models use F32, F16 or BF16");
    }

    [Fact]
    public void Reader_rejects_a_negative_shape_dimension()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("tensor 'w' has a negative shape dimension -2");
    }

    [Theory]
    [InlineData("2.5")]
    [InlineData("\"2\"")]
    [InlineData("1e40")]
    public void Reader_rejects_a_non_integer_shape_dimension(string dimension)
    {
        Refusal($$$"""{"w":{"dtype":"F32","shape":[{{{dimension}}}],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain($"tensor 'w' has a shape dimension {dimension} that is not an integer");
    }

    [Fact]
    public void Reader_rejects_a_shape_whose_element_count_overflows()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("tensor 'w' has shape [2147483647, 2147483647, 2147483647], whose size overflows");
    }

    [Theory]
    [InlineData("[0]")]
    [InlineData("[0,4,8]")]
    public void Reader_rejects_data_offsets_that_are_not_a_pair(string offsets)
    {
        Refusal($$$"""{"w":{"dtype":"F32","shape":[2],"data_offsets":{{{offsets}}}}}""", EightBytes)
            .ShouldContain($"tensor 'w' has \"data_offsets\" {offsets}, which is not [begin, end]");
    }

    [Fact]
    public void Reader_rejects_negative_data_offsets()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", EightBytes)
            .ShouldContain("which are not two non-negative integers");
    }

    [Fact]
    public void Reader_rejects_data_offsets_whose_begin_is_after_their_end()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", EightBytes)
            .ShouldContain("tensor 'w' has data_offsets [8, 0] whose begin is after its end");
    }

    [Fact]
    public void Reader_rejects_data_offsets_beyond_the_buffer()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", EightBytes)
            .ShouldContain("tensor 'w' has data_offsets [0, 16] beyond the end of the 8-byte data buffer");
    }

    [Fact]
    public void Reader_rejects_overlapping_tensors()
    {
        Refusal("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", EightBytes)
            .ShouldContain("tensors 'a' [0, 8] and 'b' [4, 8] overlap in the data buffer");
    }

    [Fact]
    public void Reader_rejects_a_hole_between_tensors()
    {
        Refusal("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12])
            .ShouldContain("bytes [4, 8) of the data buffer belong to no tensor; the buffer must be fully covered");
    }

    [Fact]
    public void Reader_rejects_trailing_bytes_that_belong_to_no_tensor()
    {
        Refusal("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", EightBytes)
            .ShouldContain("bytes [4, 8) at the end of the data buffer belong to no tensor");
    }

    [Fact]
    public void Reader_rejects_a_shape_that_does_not_match_the_byte_span()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("tensor 'w' has shape [3] of dtype F32, which needs 12 bytes, but its data_offsets [0, 8] span 8 bytes");
    }

    [Fact]
    public void Reader_rejects_duplicate_tensor_names()
    {
        Refusal("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", EightBytes)
            .ShouldContain("duplicate tensor name 'w'");
    }

    [Fact]
    public void Reader_rejects_an_empty_tensor_name()
    {
        Refusal("""{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", EightBytes)
            .ShouldContain("a tensor has an empty name");
    }

    [Fact]
    public void Reader_rejects_deeply_nested_json_without_crashing()
    {
        string deep = "{\"w\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        Refusal(deep).ShouldContain("the header is not valid JSON");
    }

    [Fact]
    public void Reader_survives_every_truncation_of_a_valid_file()
    {
        var valid = SafeTensors.Write(new TensorSet([new Tensor("w", [3], [1f, 2f, 3f])]));

        for (int length = 0; length < valid.Length; length++)
        {
            Should.Throw<SafeTensorsFormatException>(() => SafeTensors.Read(valid.AsSpan(0, length)));
        }
    }
}
