using System.Buffers.Binary;

namespace Federation.Learning.Tensors;

/// <summary>The element types a safetensors file may declare, and how this library decodes them.</summary>
internal static class SafeTensorsDType
{
    /// <summary>The dtypes the reader converts to float32.</summary>
    public static readonly IReadOnlyDictionary<string, int> SupportedSizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
    };

    /// <summary>
    /// Dtypes the safetensors specification defines but Federation refuses, listed so that the error
    /// can say "unsupported" (a valid file we chose not to read) rather than "unknown" (garbage).
    /// </summary>
    public static readonly IReadOnlySet<string> KnownUnsupported = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F64",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    };

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> into floats.</summary>
    public static void Decode(string dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * 4, 4));
                }

                break;
            case "F16":
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(i * 2, 2));
                }

                break;
            case "BF16":
                // bfloat16 is the upper half of a float32, so widening is a shift.
                for (int i = 0; i < destination.Length; i++)
                {
                    int bits = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2, 2)) << 16;
                    destination[i] = BitConverter.Int32BitsToSingle(bits);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype");
        }
    }
}
