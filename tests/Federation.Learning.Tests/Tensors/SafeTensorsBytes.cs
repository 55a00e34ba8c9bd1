using System.Buffers.Binary;
using System.Text;

namespace Federation.Learning.Tests.Tensors;

/// <summary>Hand-builds safetensors files byte by byte, so reader tests do not depend on the writer.</summary>
internal static class SafeTensorsBytes
{
    /// <summary>An 8-byte little-endian length, the UTF-8 header, then the data buffer.</summary>
    public static byte[] File(string headerJson, byte[]? data = null) => File(Encoding.UTF8.GetBytes(headerJson), data);

    /// <summary>An 8-byte little-endian length, the raw header bytes, then the data buffer.</summary>
    public static byte[] File(byte[] header, byte[]? data = null)
    {
        data ??= [];
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>A file whose length prefix claims <paramref name="headerLength"/> bytes but which is only <paramref name="totalLength"/> long.</summary>
    public static byte[] WithClaimedHeaderLength(ulong headerLength, int totalLength)
    {
        var bytes = new byte[totalLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        return bytes;
    }

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>Little-endian 16-bit words (raw F16 or BF16 bit patterns).</summary>
    public static byte[] Words(params ushort[] words)
    {
        var bytes = new byte[words.Length * 2];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), words[i]);
        }

        return bytes;
    }
}
