using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Tensors;

public class SafeTensorsReaderTests
{
    [Fact]
    public void Reader_converts_f16_to_float()
    {
        // IEEE half: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 (largest half) = 0x7BFF.
        var file = SafeTensorsBytes.File(
            """{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}""",
            SafeTensorsBytes.Words(0x3C00, 0xC000, 0x3800, 0x7BFF));

        var tensor = SafeTensors.Read(file)["w"];

        tensor.Shape.ShouldBe([2, 2]);
        tensor.Values.ShouldBe([1f, -2f, 0.5f, 65504f]);
    }

    [Fact]
    public void Reader_converts_bf16_to_float()
    {
        // bfloat16 is the top half of a float32: 1.0 = 0x3F80, -2.0 = 0xC000, 0.5 = 0x3F00, 3.140625 = 0x4049.
        var file = SafeTensorsBytes.File(
            """{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}""",
            SafeTensorsBytes.Words(0x3F80, 0xC000, 0x3F00, 0x4049));

        SafeTensors.Read(file)["w"].Values.ShouldBe([1f, -2f, 0.5f, 3.140625f]);
    }

    [Fact]
    public void Reader_accepts_mixed_dtypes_in_any_header_order_and_padding()
    {
        var file = SafeTensorsBytes.File(
            """{"b":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   """,
            [.. SafeTensorsBytes.Floats(2.5f), .. SafeTensorsBytes.Words(0x3C00)]);

        var set = SafeTensors.Read(file);

        set.Select(t => t.Name).ShouldBe(["a", "b"]);
        set["a"].Values.ShouldBe([2.5f]);
        set["b"].Values.ShouldBe([1f]);
        SafeTensors.ReadMetadata(file)["k"].ShouldBe("v");
    }
}
