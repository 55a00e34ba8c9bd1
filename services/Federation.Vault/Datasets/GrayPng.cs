using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Federation.Vault.Datasets;

/// <summary>Writes 8-bit grayscale PNGs: the photos the demo and the tests put in factories' vaults.</summary>
public static class GrayPng
{
    /// <summary>
    /// A real grayscale PNG any decoder reads, with a tEXt chunk holding <paramref name="comment"/> when one is given; the
    /// image data is deflated without compression, so each row's pixels stand literally in the file (the canary test
    /// relies on that).
    /// </summary>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="pixels">Row-major luminance, <paramref name="width"/> × <paramref name="height"/> bytes.</param>
    /// <param name="comment">The tEXt comment; none when null.</param>
    public static byte[] Encode(int width, int height, byte[] pixels, string? comment = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.Length, width * height);
        var raw = new MemoryStream();
        for (var row = 0; row < height; row++)
        {
            raw.WriteByte(0); // filter: none
            raw.Write(pixels, row * width, width);
        }

        var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.NoCompression, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8; // bit depth
        header[9] = 0; // grayscale

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        if (comment is not null)
        {
            Chunk(png, "tEXt", [.. "Comment"u8, 0, .. Encoding.ASCII.GetBytes(comment)]);
        }

        Chunk(png, "IDAT", deflated.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
        png.Write(number);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        png.Write(number);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320, reflected).</summary>
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var value in bytes)
        {
            crc ^= value;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
