using System.IO.Compression;

namespace Federation.Gateway.Tests;

/// <summary>A small PNG writer for tests: any 8-bit colour type, and a chosen filter per row so all five are exercised.</summary>
internal static class TestPng
{
    /// <summary>Encodes <paramref name="pixels"/> (row-major, <paramref name="channels"/> bytes a pixel) as a PNG.</summary>
    public static byte[] Encode(int width, int height, int colourType, byte[] pixels, Func<int, int>? filterOfRow = null, byte[]? palette = null, int interlace = 0)
    {
        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colourType)) };
        int stride = width * channels;
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            int filter = filterOfRow?.Invoke(y) ?? 0;
            raw.WriteByte((byte)filter);
            for (int i = 0; i < stride; i++)
            {
                int value = pixels[y * stride + i];
                int left = i >= channels ? pixels[y * stride + i - channels] : 0;
                int up = y > 0 ? pixels[(y - 1) * stride + i] : 0;
                int upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    _ => Paeth(left, up, upLeft),
                };
                raw.WriteByte((byte)(value - predictor));
            }
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw.ToArray());
        }

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", [.. BigEndian((uint)width), .. BigEndian((uint)height), 8, (byte)colourType, 0, 0, (byte)interlace]);
        if (palette is not null)
        {
            Chunk(png, "PLTE", palette);
        }

        Chunk(png, "tEXt", "Comment\0test"u8.ToArray());
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A 28 × 28 greyscale PNG from luminance bytes.</summary>
    public static byte[] Gray28(byte[] pixels) => Encode(28, 28, 0, pixels, row => row % 5);

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(BigEndian((uint)data.Length));
        stream.Write(typeAndData);
        stream.Write(BigEndian(Crc32(typeAndData)));
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFF;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
