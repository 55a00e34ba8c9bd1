using Federation.Audit.Tasks;
using Federation.Learning.Tensors;

namespace Federation.Aggregator.Tests.Tasks;

public sealed class InitialModelTests
{
    private static TensorSet Model(float value = 0.5f) =>
        new([new Tensor("conv1.weight", [2, 1, 3, 3], Enumerable.Repeat(value, 18).ToArray()), new Tensor("fc.bias", [2], [value, -value])]);

    [Fact]
    public void A_canonical_f32_model_becomes_version_zero_unchanged()
    {
        var file = SafeTensors.Write(Model());

        InitialModel.ToVersionZero("init.safetensors", file).ShouldBe(file);
    }

    [Fact]
    public void An_f16_model_is_widened_to_f32_exactly()
    {
        // Hand-written F16 file: one tensor "w" of shape [2] holding 1.5 and -2 (0x3E00, 0xC000 little-endian).
        var header = """{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"""u8.ToArray();
        var file = BitConverter.GetBytes((long)header.Length).Concat(header).Concat(new byte[] { 0x00, 0x3E, 0x00, 0xC0 }).ToArray();

        var versionZero = SafeTensors.Read(InitialModel.ToVersionZero("init.safetensors", file));

        versionZero["w"].Values.ShouldBe([1.5f, -2f]);
        SafeTensors.ReadDTypes(InitialModel.ToVersionZero("init.safetensors", file))["w"].ShouldBe("F32");
    }

    [Fact]
    public void A_malformed_file_is_refused_naming_the_file() =>
        Should.Throw<InvalidDataException>(() => InitialModel.ToVersionZero("init.safetensors", "not a model"u8.ToArray()))
            .Message.ShouldStartWith("init.safetensors: not a valid safetensors model");

    [Fact]
    public void A_non_finite_model_is_refused_naming_the_tensor() =>
        Should.Throw<InvalidDataException>(() => InitialModel.ToVersionZero("init.safetensors", SafeTensors.Write(Model(float.NaN))))
            .Message.ShouldContain("conv1.weight");

    [Fact]
    public void An_oversized_model_is_refused_before_it_is_read() =>
        Should.Throw<InvalidDataException>(() => InitialModel.ToVersionZero("big.safetensors", new byte[1000], maxBytes: 999))
            .Message.ShouldBe("big.safetensors: 1000 bytes is more than the 999 bytes a model may have.");

    [Fact]
    public void A_model_without_tensors_is_refused()
    {
        var header = "{}"u8.ToArray();
        var file = BitConverter.GetBytes((long)header.Length).Concat(header).ToArray();

        Should.Throw<InvalidDataException>(() => InitialModel.ToVersionZero("empty.safetensors", file)).Message.ShouldContain("no tensors");
    }
}
