using System.Buffers.Binary;
using System.IO.Hashing;
using StbImageSharp;

namespace Federation.Vault.Photos;

/// <summary>A photo the decoder will not read, with what is wrong or over its limits.</summary>
/// <param name="message">The problem.</param>
public sealed class PhotoFormatException(string message) : Exception(message);

/// <summary>A decoded image: <see cref="Width"/> × <see cref="Height"/> luminance values in [0, 1], row-major.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Luminance">One value per pixel, row by row.</param>
public sealed record GrayImage(int Width, int Height, float[] Luminance);

/// <summary>What a photo's header says, read before any pixel is decoded.</summary>
/// <param name="Format"><c>png</c> or <c>jpeg</c>, as the vault index records it.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
public sealed record PhotoInfo(string Format, int Width, int Height);

/// <summary>
/// The one reader of inspection photos, for vault import and training alike, so a photo the vault stores is a photo
/// training reads: PNG (ISO/IEC 15948) and JPEG (baseline and progressive), decoded by stb_image (StbImageSharp).
/// </summary>
/// <remarks>
/// <para>
/// Before decoding, the file's structure and header are checked and the size limits applied from the header alone, so a
/// file claiming a huge image is refused before anything of that size is allocated. A PNG must start with IHDR, pass
/// every chunk's CRC (stb_image does not check them) and end with IEND; a JPEG must end with the end-of-image marker
/// FF D9. Either way a truncated upload, the usual way a photo goes wrong on its way to the gateway, is caught.
/// </para>
/// <para>
/// Pixels become luminance as <c>IdxFormat</c> scales Fashion-MNIST bytes: a grey byte g gives g / 255; colour is
/// weighted by ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B) / 255; alpha composites over black (value · a / 255),
/// because Fashion-MNIST's objects are light on a black background. 16-bit PNGs are read at 8 bits.
/// </para>
/// </remarks>
public static class PhotoDecoder
{
    /// <summary>The widest and tallest image accepted, in pixels.</summary>
    public const int MaxSide = 16_384;

    /// <summary>The largest image accepted, in pixels (width × height).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks a photo's structure and header against the limits, without decoding its pixels.</summary>
    /// <param name="photo">The file's bytes.</param>
    /// <returns>Its format and size.</returns>
    /// <exception cref="PhotoFormatException">Not a PNG or JPEG, malformed, or over the limits.</exception>
    public static PhotoInfo Inspect(byte[] photo)
    {
        ArgumentNullException.ThrowIfNull(photo);
        PhotoInfo info;
        if (photo.AsSpan().StartsWith(PngSignature))
        {
            info = InspectPng(photo);
        }
        else if (photo.Length >= 4 && photo[0] == 0xFF && photo[1] == 0xD8 && photo[2] == 0xFF)
        {
            if (photo[^2] != 0xFF || photo[^1] != 0xD9)
            {
                throw new PhotoFormatException("JPEG does not end with the end-of-image marker FF D9 (truncated?)");
            }

            using var stream = new MemoryStream(photo, writable: false);
            var header = ImageInfo.FromStream(stream)
                ?? throw new PhotoFormatException("JPEG header not readable: no frame header (SOF) with the image size before the end");
            info = new PhotoInfo("jpeg", header.Width, header.Height);
        }
        else
        {
            throw new PhotoFormatException("not a PNG or JPEG image (checked by its first bytes, not its name)");
        }

        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new PhotoFormatException($"{info.Format.ToUpperInvariant()} of {info.Width}x{info.Height} pixels");
        }

        if (info.Width > MaxSide || info.Height > MaxSide || (long)info.Width * info.Height > MaxPixels)
        {
            throw new PhotoFormatException($"{info.Format.ToUpperInvariant()} of {info.Width}x{info.Height} pixels; at most {MaxSide} on a side and {MaxPixels} pixels in all are read");
        }

        return info;
    }

    /// <summary>Decodes a whole photo to luminance, after <see cref="Inspect"/>'s checks.</summary>
    /// <param name="photo">The file's bytes.</param>
    /// <returns>The image's luminance.</returns>
    /// <exception cref="PhotoFormatException">The file is malformed, over the limits, or uses a feature stb_image does not read.</exception>
    public static GrayImage Decode(byte[] photo) => Decode(photo, out _);

    /// <summary>Decodes a whole photo to luminance, after <see cref="Inspect"/>'s checks, and says what its header said.</summary>
    /// <param name="photo">The file's bytes.</param>
    /// <param name="info">Its format and size.</param>
    /// <returns>The image's luminance.</returns>
    /// <exception cref="PhotoFormatException">The file is malformed, over the limits, or uses a feature stb_image does not read.</exception>
    public static GrayImage Decode(byte[] photo, out PhotoInfo info)
    {
        info = Inspect(photo);
        ImageResult image;
        try
        {
            // Default: the file's own channels (grey, grey + alpha, RGB, RGBA), so grey stays exact and no library
            // colour conversion stands between the file and the BT.601 weights below.
            image = ImageResult.FromMemory(photo, ColorComponents.Default);
        }
        catch (Exception error) when (error is InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            throw new PhotoFormatException($"{info.Format.ToUpperInvariant()} not decodable: {error.Message}");
        }

        if (image.Width != info.Width || image.Height != info.Height)
        {
            throw new PhotoFormatException($"{info.Format.ToUpperInvariant()} header says {info.Width}x{info.Height} but the image decodes to {image.Width}x{image.Height}");
        }

        return new GrayImage(image.Width, image.Height, ToLuminance(image));
    }

    private static PhotoInfo InspectPng(byte[] png)
    {
        int width = 0, height = 0;
        int offset = PngSignature.Length;
        bool seenEnd = false;
        while (offset < png.Length)
        {
            if (seenEnd)
            {
                throw new PhotoFormatException("PNG has bytes after the IEND chunk");
            }

            if (png.Length - offset < 12)
            {
                throw new PhotoFormatException("PNG does not end with an IEND chunk (a chunk is cut short; truncated?)");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            if (length > png.Length - offset - 12)
            {
                throw new PhotoFormatException("PNG does not end with an IEND chunk (a chunk's length runs past the end of the file; truncated?)");
            }

            var typeAndData = png.AsSpan(offset + 4, 4 + (int)length);
            var type = System.Text.Encoding.ASCII.GetString(typeAndData[..4]);
            if (offset == PngSignature.Length)
            {
                if (type != "IHDR" || length != 13)
                {
                    throw new PhotoFormatException("PNG without an IHDR chunk first");
                }

                // Read as unsigned and widened: a header claiming 4 billion pixels a side is reported, not overflowed.
                width = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(typeAndData[4..]));
                height = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(typeAndData[8..]));
            }

            if (Crc32.HashToUInt32(typeAndData) != BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + (int)length)))
            {
                throw new PhotoFormatException($"PNG chunk {type} fails its CRC check (corrupted file)");
            }

            seenEnd = type == "IEND";
            offset += 12 + (int)length;
        }

        if (!seenEnd)
        {
            throw new PhotoFormatException("PNG does not end with an IEND chunk (truncated?)");
        }

        return new PhotoInfo("png", width, height);
    }

    private static float[] ToLuminance(ImageResult image)
    {
        var data = image.Data;
        int channels = image.Comp switch
        {
            ColorComponents.Grey => 1,
            ColorComponents.GreyAlpha => 2,
            ColorComponents.RedGreenBlue => 3,
            _ => 4,
        };
        var luminance = new float[image.Width * image.Height];
        for (int pixel = 0, at = 0; pixel < luminance.Length; pixel++, at += channels)
        {
            luminance[pixel] = channels switch
            {
                1 => data[at] / 255f,
                2 => data[at] / 255f * (data[at + 1] / 255f),
                3 => Luma(data[at], data[at + 1], data[at + 2]),
                _ => Luma(data[at], data[at + 1], data[at + 2]) * (data[at + 3] / 255f),
            };
        }

        return luminance;
    }

    private static float Luma(byte red, byte green, byte blue) => (float)((0.299 * red + 0.587 * green + 0.114 * blue) / 255);
}
