using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Site;

/// <summary>Reads a model the aggregator announced, only after checking it is the model it claims to be.</summary>
internal static class AnnouncedModel
{
    /// <exception cref="InvalidDataException">The bytes do not hash to the announced SHA-256.</exception>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a readable safetensors file.</exception>
    public static TensorSet Read(byte[] bytes, string announcedSha256, string description)
    {
        var actualSha256 = Sha256Hex.Of(bytes);
        return actualSha256 == announcedSha256
            ? SafeTensors.Read(bytes)
            : throw new InvalidDataException($"{description} was announced as {announcedSha256} but its bytes hash to {actualSha256}; not using it.");
    }
}
