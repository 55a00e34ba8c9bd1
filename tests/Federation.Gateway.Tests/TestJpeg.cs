using StbImageWriteSharp;

namespace Federation.Gateway.Tests;

/// <summary>JPEG test photos, written by stb_image_write (no JPEG tool is on the build machines).</summary>
internal static class TestJpeg
{
    /// <summary>Encodes greyscale <paramref name="pixels"/> (row-major, one byte a pixel) as a baseline JPEG.</summary>
    public static byte[] Gray(int width, int height, byte[] pixels, int quality = 90) =>
        Encode(width, height, StbImageWriteSharp.ColorComponents.Grey, pixels, quality);

    /// <summary>Encodes RGB <paramref name="pixels"/> (row-major, three bytes a pixel) as a baseline JPEG.</summary>
    public static byte[] Rgb(int width, int height, byte[] pixels, int quality = 90) =>
        Encode(width, height, StbImageWriteSharp.ColorComponents.RedGreenBlue, pixels, quality);

    private static byte[] Encode(int width, int height, StbImageWriteSharp.ColorComponents components, byte[] pixels, int quality)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(pixels, width, height, components, stream, quality);
        return stream.ToArray();
    }
}
