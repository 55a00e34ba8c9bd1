namespace Federation.Trust.Tests;

public class Sha256HexTests
{
    private const string AbcDigest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private const string EmptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Digest_of_abc_is_the_FIPS_180_example()
    {
        Sha256Hex.Of("abc"u8).ShouldBe(AbcDigest);
    }

    [Fact]
    public void Digest_of_nothing_is_the_empty_string_digest()
    {
        Sha256Hex.Of([]).ShouldBe(EmptyDigest);
    }

    [Fact]
    public async Task Digest_of_a_stream_equals_the_digest_of_its_bytes()
    {
        using var stream = new MemoryStream("abc"u8.ToArray());

        (await Sha256Hex.OfAsync(stream)).ShouldBe(AbcDigest);
    }

    [Fact]
    public async Task Digest_of_a_large_stream_covers_all_of_it()
    {
        var data = new byte[3 * 1024 * 1024 + 7];
        new Random(1).NextBytes(data);
        using var stream = new MemoryStream(data);

        (await Sha256Hex.OfAsync(stream)).ShouldBe(Sha256Hex.Of(data));
    }

    [Fact]
    public async Task Digest_of_a_stream_can_be_cancelled()
    {
        using var stream = new MemoryStream(new byte[1024]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => Sha256Hex.OfAsync(stream, cancelled.Token));
    }
}
