using System.Buffers.Binary;

namespace Federation.Learning.Tests.Data;

/// <summary>Hand-builds small IDX files (big-endian magic and dimensions, then unsigned bytes).</summary>
internal static class IdxBytes
{
    public static byte[] Images(int count, int rows, int columns, byte[] pixels, int magic = 0x00000803) =>
        [.. BigEndian(magic), .. BigEndian(count), .. BigEndian(rows), .. BigEndian(columns), .. pixels];

    public static byte[] Labels(byte[] labels, int magic = 0x00000801) =>
        [.. BigEndian(magic), .. BigEndian(labels.Length), .. labels];

    public static MemoryStream Stream(byte[] bytes) => new(bytes, writable: false);

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
