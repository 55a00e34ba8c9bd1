using System.Buffers.Binary;
using System.IO.Compression;

namespace Federation.Vault.Photos;

/// <summary>A PNG file the decoder will not read, with what is wrong or unsupported.</summary>
/// <param name="message">The problem.</param>
public sealed class PngFormatException(string message) : Exception(message);

/// <summary>A decoded image: <see cref="Width"/> × <see cref="Height"/> luminance values in [0, 1], row-major.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Luminance">One value per pixel, row by row.</param>
public sealed record GrayImage(int Width, int Height, float[] Luminance);

/// <summary>
/// A strict decoder for the PNGs inspection cameras write (ISO/IEC 15948, W3C PNG 2nd ed.): bit depth 8, colour type
/// greyscale (0), truecolour (2), indexed (3), greyscale with alpha (4) or truecolour with alpha (6), not interlaced.
/// Every chunk's CRC is checked; IHDR must come first, IDAT chunks must be consecutive, IEND must end the file, and the
/// zlib stream must hold exactly the filtered rows. Anything else is refused with the reason, never guessed at.
/// </summary>
/// <remarks>
/// Pixels become luminance as <c>IdxFormat</c> scales Fashion-MNIST bytes: a grey byte g gives g / 255; colour is
/// weighted by ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B) / 255; alpha composites over black (value · a / 255),
/// because Fashion-MNIST's objects are light on a black background.
/// </remarks>
public static class PngDecoder
{
    /// <summary>The largest image accepted, in pixels (decoded size is bounded before inflating).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Decodes a whole PNG file.</summary>
    /// <param name="png">The file's bytes.</param>
    /// <returns>The image's luminance.</returns>
    /// <exception cref="PngFormatException">The file is malformed or uses a feature this decoder does not read.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (!png.StartsWith(signature))
        {
            throw new PngFormatException("not a PNG file (wrong signature)");
        }

        int width = 0, height = 0, colourType = -1, channels = 0;
        byte[]? palette = null;
        using var compressed = new MemoryStream();
        bool seenHeader = false, seenData = false, dataEnded = false, seenEnd = false;
        int offset = signature.Length;
        while (offset < png.Length)
        {
            if (seenEnd)
            {
                throw new PngFormatException("bytes after the IEND chunk");
            }

            if (png.Length - offset < 12)
            {
                throw new PngFormatException("a chunk is cut short (truncated file?)");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            if (length > int.MaxValue || length > png.Length - offset - 12)
            {
                throw new PngFormatException("a chunk's length runs past the end of the file");
            }

            var typeAndData = png.Slice(offset + 4, 4 + (int)length);
            var type = System.Text.Encoding.ASCII.GetString(typeAndData[..4]);
            var data = typeAndData[4..];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png[(offset + 8 + (int)length)..]);
            if (Crc(typeAndData) != crc)
            {
                throw new PngFormatException($"chunk {type} fails its CRC check (corrupted file)");
            }

            offset += 12 + (int)length;
            if (!seenHeader && type != "IHDR")
            {
                throw new PngFormatException("the first chunk is not IHDR");
            }

            if (seenData && type != "IDAT")
            {
                dataEnded = true;
            }

            switch (type)
            {
                case "IHDR":
                    if (seenHeader || data.Length != 13)
                    {
                        throw new PngFormatException("IHDR is repeated or not 13 bytes");
                    }

                    seenHeader = true;
                    width = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data));
                    height = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]));
                    int depth = data[8];
                    colourType = data[9];
                    if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
                    {
                        throw new PngFormatException($"image of {width}x{height} pixels; at most {MaxPixels} pixels are read");
                    }

                    channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
                    if (channels == 0)
                    {
                        throw new PngFormatException($"colour type {colourType} is not a PNG colour type");
                    }

                    if (depth != 8)
                    {
                        throw new PngFormatException($"bit depth {depth}; only 8-bit PNGs are read");
                    }

                    if (data[10] != 0 || data[11] != 0)
                    {
                        throw new PngFormatException("unknown compression or filter method");
                    }

                    if (data[12] != 0)
                    {
                        throw new PngFormatException("interlaced (Adam7) PNGs are not read; save it without interlacing");
                    }

                    break;
                case "PLTE":
                    if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 768 || seenData)
                    {
                        throw new PngFormatException("PLTE is not 1 to 256 RGB entries before the image data");
                    }

                    palette = data.ToArray();
                    break;
                case "IDAT":
                    if (dataEnded)
                    {
                        throw new PngFormatException("IDAT chunks are not consecutive");
                    }

                    seenData = true;
                    compressed.Write(data);
                    break;
                case "IEND":
                    seenEnd = true;
                    break;
                default:
                    // Critical chunks (upper-case first letter) this decoder does not know change the meaning of the image.
                    if (char.IsUpper(type[0]))
                    {
                        throw new PngFormatException($"unknown critical chunk {type}");
                    }

                    break;
            }
        }

        if (!seenEnd)
        {
            throw new PngFormatException("no IEND chunk (truncated file?)");
        }

        if (!seenData)
        {
            throw new PngFormatException("no image data (IDAT)");
        }

        if (colourType == 3 && palette is null)
        {
            throw new PngFormatException("an indexed-colour PNG without a palette (PLTE)");
        }

        int stride = width * channels;
        var raw = Inflate(compressed, checked((long)height * (stride + 1)));
        Unfilter(raw, height, stride, channels);
        return new GrayImage(width, height, ToLuminance(raw, width, height, stride, colourType, palette));
    }

    private static byte[] Inflate(MemoryStream compressed, long expected)
    {
        compressed.Position = 0;
        var raw = new byte[expected];
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            zlib.ReadExactly(raw);
            if (zlib.ReadByte() != -1)
            {
                throw new PngFormatException("the image data holds more bytes than its size needs");
            }
        }
        catch (EndOfStreamException)
        {
            throw new PngFormatException("the image data holds fewer bytes than its size needs (truncated?)");
        }
        catch (InvalidDataException error)
        {
            throw new PngFormatException($"the image data is not a valid zlib stream: {error.Message}");
        }

        return raw;
    }

    /// <summary>Reverses the five PNG filters in place; each row's first byte names its filter.</summary>
    private static void Unfilter(byte[] raw, int height, int stride, int bytesPerPixel)
    {
        for (int y = 0; y < height; y++)
        {
            int row = y * (stride + 1);
            int filter = raw[row];
            int current = row + 1;
            int previous = current - (stride + 1); // only read when y > 0
            for (int i = 0; i < stride; i++)
            {
                int left = i >= bytesPerPixel ? raw[current + i - bytesPerPixel] : 0;
                int up = y > 0 ? raw[previous + i] : 0;
                int upLeft = y > 0 && i >= bytesPerPixel ? raw[previous + i - bytesPerPixel] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new PngFormatException($"row {y} has filter type {filter}; PNG defines 0 to 4"),
                };
                raw[current + i] = (byte)(raw[current + i] + predictor);
            }
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static float[] ToLuminance(byte[] raw, int width, int height, int stride, int colourType, byte[]? palette)
    {
        var luminance = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            int row = y * (stride + 1) + 1;
            for (int x = 0; x < width; x++)
            {
                float value;
                switch (colourType)
                {
                    case 0:
                        value = raw[row + x] / 255f;
                        break;
                    case 4:
                        value = raw[row + 2 * x] / 255f * (raw[row + 2 * x + 1] / 255f);
                        break;
                    case 2:
                        value = Luma(raw[row + 3 * x], raw[row + 3 * x + 1], raw[row + 3 * x + 2]);
                        break;
                    case 6:
                        value = Luma(raw[row + 4 * x], raw[row + 4 * x + 1], raw[row + 4 * x + 2]) * (raw[row + 4 * x + 3] / 255f);
                        break;
                    default:
                        int index = raw[row + x];
                        if (3 * index + 2 >= palette!.Length)
                        {
                            throw new PngFormatException($"pixel ({x}, {y}) uses palette entry {index}, beyond the {palette.Length / 3} in PLTE");
                        }

                        value = Luma(palette[3 * index], palette[3 * index + 1], palette[3 * index + 2]);
                        break;
                }

                luminance[y * width + x] = value;
            }
        }

        return luminance;
    }

    private static float Luma(byte red, byte green, byte blue) => (float)((0.299 * red + 0.587 * green + 0.114 * blue) / 255);

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFF;
    }

    /// <summary>The CRC-32 of ISO 3309 / ITU-T V.42 that PNG uses (polynomial 0xEDB88320, reflected).</summary>
    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
