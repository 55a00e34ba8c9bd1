using System.Security.Cryptography;
using Federation.Contracts.Messages;
using Federation.Site.Models;
using Federation.Trust;

namespace Federation.Gateway.Tests;

public sealed class ModelCacheTests : IDisposable
{
    private static readonly byte[] Bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
    private static readonly ModelReference Model = new(Sha256Hex.Of(Bytes), Bytes.Length);

    private readonly string directory = Path.Combine(Path.GetTempPath(), $"federation-models-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_downloaded_model_is_stored_under_its_hash_with_the_announced_bytes()
    {
        var source = new FakeSource(Bytes);

        var path = await new ModelCache(directory, source).GetAsync(Model);

        path.ShouldBe(Path.Combine(directory, $"{Model.Sha256}.safetensors"));
        (await File.ReadAllBytesAsync(path)).ShouldBe(Bytes);
        source.Offsets.ShouldBe([0L]);
    }

    [Fact]
    public async Task A_download_cut_halfway_resumes_from_the_bytes_already_on_disk()
    {
        var source = new FakeSource(Bytes) { CutAfter = 1_000_000 };
        var cache = new ModelCache(directory, source);

        await Should.ThrowAsync<IOException>(() => cache.GetAsync(Model));
        source.CutAfter = null;
        var path = await cache.GetAsync(Model);

        source.Offsets.ShouldBe([0L, 1_000_000L]);
        (await File.ReadAllBytesAsync(path)).ShouldBe(Bytes);
        File.Exists(Path.Combine(directory, $"{Model.Sha256}.partial")).ShouldBeFalse();
    }

    [Fact]
    public async Task Bytes_that_hash_to_something_else_are_refused_naming_both_hashes_and_nothing_is_kept()
    {
        var other = (byte[])Bytes.Clone();
        other[12345] ^= 1;
        var cache = new ModelCache(directory, new FakeSource(other));

        var refused = await Should.ThrowAsync<InvalidDataException>(() => cache.GetAsync(Model));

        refused.Message.ShouldContain(Model.Sha256);
        refused.Message.ShouldContain(Sha256Hex.Of(other));
        Directory.GetFiles(directory).ShouldBeEmpty();
    }

    [Fact]
    public async Task Bytes_of_another_length_are_refused_and_nothing_is_kept()
    {
        var shorter = new ModelCache(directory, new FakeSource(Bytes[..^1]));
        var longer = new ModelCache(directory, new FakeSource([.. Bytes, 0]));

        (await Should.ThrowAsync<InvalidDataException>(() => shorter.GetAsync(Model))).Message.ShouldContain($"{Bytes.Length - 1} arrived");
        await Should.ThrowAsync<InvalidDataException>(() => longer.GetAsync(Model));

        Directory.GetFiles(directory).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_model_already_cached_costs_no_request()
    {
        var source = new FakeSource(Bytes);
        await new ModelCache(directory, source).GetAsync(Model);

        var again = await new ModelCache(directory, source).GetAsync(Model);

        source.Offsets.Count.ShouldBe(1);
        File.Exists(again).ShouldBeTrue();
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Serves fixed bytes from any offset, in 64 KiB writes, optionally failing once it has written up to <see cref="CutAfter"/>.</summary>
    private sealed class FakeSource(byte[] bytes) : IModelSource
    {
        public List<long> Offsets { get; } = [];

        public long? CutAfter { get; set; }

        public async Task CopyToAsync(ModelReference model, long offset, Stream destination, CancellationToken cancellationToken)
        {
            Offsets.Add(offset);
            var end = CutAfter ?? bytes.Length;
            for (var position = offset; position < end; position += 65536)
            {
                await destination.WriteAsync(bytes.AsMemory((int)position, (int)Math.Min(65536, end - position)), cancellationToken);
            }

            if (CutAfter is not null)
            {
                throw new IOException("The connection was cut.");
            }
        }
    }
}
