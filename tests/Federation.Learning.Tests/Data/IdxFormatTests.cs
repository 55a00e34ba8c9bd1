using System.IO.Compression;
using Federation.Learning.Data;

namespace Federation.Learning.Tests.Data;

public class IdxFormatTests
{
    // Two 2×3 images.
    private static readonly byte[] Pixels = [0, 51, 255, 102, 0, 0, /* second */ 255, 255, 0, 0, 0, 204];

    private static Dataset Read(byte[] images, byte[] labels, int classCount = 10) =>
        IdxFormat.Read(IdxBytes.Stream(images), IdxBytes.Stream(labels), classCount);

    [Fact]
    public void Reader_scales_pixels_to_the_unit_range_row_major()
    {
        var data = Read(IdxBytes.Images(2, 2, 3, Pixels), IdxBytes.Labels([7, 2]));

        data.Count.ShouldBe(2);
        data.FeatureCount.ShouldBe(6);
        data.ClassCount.ShouldBe(10);
        data.Labels.ShouldBe([7, 2]);
        data.FeaturesOf(0).ToArray().ShouldBe([0f, 0.2f, 1f, 0.4f, 0f, 0f], tolerance: 1e-7f);
        data.FeaturesOf(1).ToArray().ShouldBe([1f, 1f, 0f, 0f, 0f, 0.8f], tolerance: 1e-7f);
    }

    [Fact]
    public void Reader_accepts_non_seekable_streams_such_as_gzip()
    {
        var data = IdxFormat.Read(Gzipped(IdxBytes.Images(2, 2, 3, Pixels)), Gzipped(IdxBytes.Labels([7, 2])));

        data.Count.ShouldBe(2);
        data.Labels.ShouldBe([7, 2]);
    }

    [Fact]
    public void Reader_rejects_a_wrong_images_magic()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels, magic: 0x00000801), IdxBytes.Labels([7, 2])))
            .Message.ShouldBe("the images file has magic number 0x00000801; expected 0x00000803");
    }

    [Fact]
    public void Reader_rejects_a_wrong_labels_magic()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels), IdxBytes.Labels([7, 2], magic: 0x00000803)))
            .Message.ShouldBe("the labels file has magic number 0x00000803; expected 0x00000801");
    }

    [Fact]
    public void Reader_rejects_swapped_files()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Labels([7, 2]), IdxBytes.Images(2, 2, 3, Pixels)))
            .Message.ShouldContain("magic number");
    }

    [Fact]
    public void Reader_rejects_a_count_mismatch_between_images_and_labels()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels), IdxBytes.Labels([7, 2, 1])))
            .Message.ShouldBe("the images file has 2 images but the labels file has 3 labels");
    }

    [Fact]
    public void Reader_rejects_truncated_pixels()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels[..10]), IdxBytes.Labels([7, 2])))
            .Message.ShouldBe("the images file is truncated: expected 12 bytes of pixels, found 10");
    }

    [Fact]
    public void Reader_rejects_truncated_pixels_from_a_non_seekable_stream()
    {
        Should.Throw<FormatException>(() => IdxFormat.Read(Gzipped(IdxBytes.Images(2, 2, 3, Pixels[..10])), Gzipped(IdxBytes.Labels([7, 2]))))
            .Message.ShouldBe("the images file is truncated: expected 12 bytes of pixels, found 10");
    }

    [Fact]
    public void Reader_rejects_truncated_labels()
    {
        var labels = IdxBytes.Labels([7, 2])[..^1];

        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels), labels))
            .Message.ShouldBe("the labels file is truncated: expected 2 bytes of labels, found 1");
    }

    [Fact]
    public void Reader_rejects_a_truncated_header()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, [])[..9], IdxBytes.Labels([7, 2])))
            .Message.ShouldBe("the images file is truncated: expected 12 bytes of dimensions, found 5");
    }

    [Fact]
    public void Reader_rejects_a_label_at_or_above_the_class_count()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(2, 2, 3, Pixels), IdxBytes.Labels([7, 10])))
            .Message.ShouldBe("label 10 of sample 1 is not below the class count 10");
    }

    [Fact]
    public void Reader_rejects_a_header_claiming_more_images_than_memory_can_hold()
    {
        Should.Throw<FormatException>(() => Read(IdxBytes.Images(int.MaxValue, 28, 28, Pixels), IdxBytes.Labels([7, 2])))
            .Message.ShouldContain("the labels file has 2 labels");
    }

    private static GZipStream Gzipped(byte[] bytes)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        compressed.Position = 0;
        return new GZipStream(compressed, CompressionMode.Decompress);
    }
}
