using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Tensors;

public class SafeTensorsWriterTests
{
    private static TensorSet Model() => new(
    [
        new Tensor("linear.weight", [2, 3], [1f, -2f, 3.5f, 0f, 1e-7f, -0f]),
        new Tensor("linear.bias", [2], [0.25f, -8f]),
    ]);

    private static readonly Dictionary<string, string> Metadata = new() { ["round"] = "3", ["format"] = "pt" };

    [Fact]
    public void Written_bytes_read_back_to_the_same_tensors_and_metadata()
    {
        var bytes = SafeTensors.Write(Model(), Metadata);

        var read = SafeTensors.Read(bytes);

        read.DescribeLayoutDifference(Model()).ShouldBeNull();
        read["linear.weight"].Values.ShouldBe(Model()["linear.weight"].Values);
        read["linear.bias"].Values.ShouldBe(Model()["linear.bias"].Values);
        SafeTensors.ReadMetadata(bytes).ShouldBe(Metadata, ignoreOrder: true);
    }

    [Fact]
    public void Writer_lays_out_the_canonical_header_padded_to_eight_bytes()
    {
        var bytes = SafeTensors.Write(Model(), Metadata);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        ((8 + headerLength) % 8).ShouldBe(0UL);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        header.TrimEnd(' ').ShouldBe(
            """{"__metadata__":{"format":"pt","round":"3"},"linear.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"linear.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}""");
        (header.Length - header.TrimEnd(' ').Length).ShouldBeLessThan(8);
        bytes.Length.ShouldBe(8 + (int)headerLength + 32);
    }

    [Fact]
    public void Writer_lays_out_data_contiguously_in_name_order_as_little_endian_f32()
    {
        var bytes = SafeTensors.Write(Model());

        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        bytes.AsSpan(dataStart).ToArray().ShouldBe(SafeTensorsBytes.Floats(0.25f, -8f, 1f, -2f, 3.5f, 0f, 1e-7f, -0f));
    }

    [Fact]
    public void Writer_omits_the_metadata_key_when_there_is_no_metadata()
    {
        var bytes = SafeTensors.Write(Model());

        Encoding.UTF8.GetString(bytes).ShouldNotContain("__metadata__");
        SafeTensors.ReadMetadata(bytes).ShouldBeEmpty();
    }

    [Fact]
    public void Writer_is_deterministic_whatever_the_insertion_order()
    {
        var reversed = new TensorSet(Model().Reverse().Select(t => new Tensor(t.Name, t.Shape, (float[])t.Values.Clone())));
        var reorderedMetadata = new Dictionary<string, string> { ["format"] = "pt", ["round"] = "3" };

        var first = SafeTensors.Write(Model(), Metadata);
        var second = SafeTensors.Write(reversed, reorderedMetadata);

        second.ShouldBe(first);
        SHA256.HashData(second).ShouldBe(SHA256.HashData(first));
    }

    [Fact]
    public void Stream_writer_produces_the_same_bytes_as_the_array_writer()
    {
        using var stream = new MemoryStream();

        SafeTensors.Write(Model(), stream, Metadata);

        stream.ToArray().ShouldBe(SafeTensors.Write(Model(), Metadata));
    }

    [Fact]
    public void Scalars_and_empty_tensors_round_trip()
    {
        var set = new TensorSet([new Tensor("step", [], [7f]), new Tensor("empty", [0, 4], [])]);

        var read = SafeTensors.Read(SafeTensors.Write(set));

        read["step"].Values.ShouldBe([7f]);
        read["step"].Shape.ShouldBeEmpty();
        read["empty"].Shape.ShouldBe([0, 4]);
    }

    [Fact]
    public void Non_ascii_names_round_trip()
    {
        var set = new TensorSet([new Tensor("température.poids", [1], [1f])]);

        SafeTensors.Read(SafeTensors.Write(set))["température.poids"].Values.ShouldBe([1f]);
    }

    [Fact]
    public void Writer_rejects_a_tensor_named_like_the_metadata_key()
    {
        var set = new TensorSet([new Tensor("__metadata__", [1], [1f])]);

        Should.Throw<ArgumentException>(() => SafeTensors.Write(set)).Message.ShouldContain("reserved");
    }
}
