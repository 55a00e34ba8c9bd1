using System.Buffers.Binary;

namespace Federation.Learning.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST: a big-endian magic number (0x0000 08 0D,
/// where 08 means unsigned bytes and D the number of dimensions), D big-endian int32 dimensions,
/// then the bytes. Streams must already be decompressed (the published files are gzip).
/// </summary>
public static class IdxFormat
{
    /// <summary>Magic of an image file: unsigned bytes, 3 dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic of a label file: unsigned bytes, 1 dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads matching image and label files into a dataset with pixels scaled to [0, 1].</summary>
    /// <param name="images">The decompressed images file, positioned at its start.</param>
    /// <param name="labels">The decompressed labels file, positioned at its start.</param>
    /// <param name="classCount">The number of classes; every label must be below it.</param>
    /// <returns>A dataset with rows × columns features per sample.</returns>
    /// <exception cref="FormatException">Wrong magic, mismatched counts, truncated data or an out-of-range label.</exception>
    public static Dataset Read(Stream images, Stream labels, int classCount = 10)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);

        var imageHeader = ReadHeader(images, ImagesMagic, dimensionCount: 3, "images");
        var labelHeader = ReadHeader(labels, LabelsMagic, dimensionCount: 1, "labels");
        int count = imageHeader[0];
        if (labelHeader[0] != count)
        {
            throw new FormatException($"the images file has {count} images but the labels file has {labelHeader[0]} labels");
        }

        long pixelsPerImage = (long)imageHeader[1] * imageHeader[2];
        if (pixelsPerImage == 0)
        {
            throw new FormatException($"the images are {imageHeader[1]} × {imageHeader[2]} pixels; an image needs at least one pixel");
        }

        if (pixelsPerImage * count > Array.MaxLength)
        {
            throw new FormatException($"{count} images of {imageHeader[1]} × {imageHeader[2]} pixels cannot be held in memory");
        }

        var labelBytes = ReadExactly(labels, count, "labels", "labels");
        for (int i = 0; i < labelBytes.Length; i++)
        {
            if (labelBytes[i] >= classCount)
            {
                throw new FormatException($"label {labelBytes[i]} of sample {i} is not below the class count {classCount}");
            }
        }

        var features = ReadPixels(images, count, (int)pixelsPerImage);
        return new Dataset(features, labelBytes, (int)pixelsPerImage, classCount);
    }

    private static int[] ReadHeader(Stream stream, int expectedMagic, int dimensionCount, string what)
    {
        // The magic is checked before the dimensions are read, so a swapped or foreign file is
        // reported as such rather than as a truncated header.
        int magic = BinaryPrimitives.ReadInt32BigEndian(ReadExactly(stream, 4, what, "header"));
        if (magic != expectedMagic)
        {
            throw new FormatException($"the {what} file has magic number 0x{magic:X8}; expected 0x{expectedMagic:X8}");
        }

        var header = ReadExactly(stream, 4 * dimensionCount, what, "dimensions");
        var dimensions = new int[dimensionCount];
        for (int i = 0; i < dimensionCount; i++)
        {
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (dimensions[i] < 0)
            {
                throw new FormatException($"the {what} file has a negative dimension {dimensions[i]}");
            }
        }

        return dimensions;
    }

    private static float[] ReadPixels(Stream images, int count, int pixelsPerImage)
    {
        // Read one image at a time so that a lying header on a truncated stream fails after reading
        // what is there, and the raw bytes never need a second full-size buffer.
        CheckRemainingLength(images, (long)count * pixelsPerImage, "images", "pixels");
        var features = new float[(long)count * pixelsPerImage];
        var row = new byte[pixelsPerImage];
        for (int i = 0; i < count; i++)
        {
            Fill(images, row, "images", "pixels", (long)i * pixelsPerImage, (long)count * pixelsPerImage);
            var destination = features.AsSpan(i * pixelsPerImage, pixelsPerImage);
            for (int p = 0; p < row.Length; p++)
            {
                destination[p] = row[p] / 255f;
            }
        }

        return features;
    }

    private static byte[] ReadExactly(Stream stream, int length, string what, string part)
    {
        CheckRemainingLength(stream, length, what, part);
        var buffer = new byte[length];
        Fill(stream, buffer, what, part, 0, length);
        return buffer;
    }

    /// <summary>Fails fast, before allocating, when a seekable stream is shorter than its header claims.</summary>
    private static void CheckRemainingLength(Stream stream, long needed, string what, string part)
    {
        if (stream.CanSeek && stream.Length - stream.Position < needed)
        {
            throw Truncated(what, part, needed, stream.Length - stream.Position);
        }
    }

    private static void Fill(Stream stream, byte[] buffer, string what, string part, long alreadyRead, long needed)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
        {
            throw Truncated(what, part, needed, alreadyRead + read);
        }
    }

    private static FormatException Truncated(string what, string part, long needed, long available) =>
        new($"the {what} file is truncated: expected {needed} bytes of {part}, found {available}");
}
