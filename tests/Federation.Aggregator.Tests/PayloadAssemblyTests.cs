using Federation.Contracts.Messages;
using Federation.Coordination.Payloads;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Aggregator.Tests;

public sealed class PayloadAssemblyTests : IDisposable
{
    private const int ChunkBytes = 100;

    private readonly string folder = Path.Combine(Path.GetTempPath(), $"federation-assembly-tests-{Guid.NewGuid():N}");
    private readonly PayloadStore store;
    private readonly PayloadArrivals arrivals;
    private readonly byte[] payload = [.. Enumerable.Range(0, 1050).Select(i => (byte)(i * 7))];

    public PayloadAssemblyTests()
    {
        store = new PayloadStore(folder);
        arrivals = new PayloadArrivals(store);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private PayloadAssembly Assembly(PayloadOptions? options = null) => new(store, arrivals, options ?? new PayloadOptions(), NullLogger<PayloadAssembly>.Instance);

    private async Task<List<ChunkOutcome>> AddAll(PayloadAssembly assembly, IEnumerable<ContributionPayloadChunk> chunks)
    {
        var outcomes = new List<ChunkOutcome>();
        foreach (var chunk in chunks)
        {
            outcomes.Add(await assembly.AddAsync(chunk, CancellationToken.None));
        }

        return outcomes;
    }

    [Fact]
    public async Task Chunks_in_any_order_and_repeated_assemble_into_the_store_under_their_hash()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        var shuffled = chunks.OrderByDescending(chunk => (chunk.Index * 5) % 11).ToList();

        var outcomes = await AddAll(Assembly(), [shuffled[0], shuffled[0], .. shuffled.Skip(1)]);

        outcomes[1].ShouldBe(ChunkOutcome.Repeated);
        outcomes[^1].ShouldBe(ChunkOutcome.Completed);
        outcomes.Count(outcome => outcome == ChunkOutcome.Stored).ShouldBe(chunks.Count - 1);
        store.Get(chunks[0].PayloadSha256).ShouldBe(payload);
        Directory.EnumerateFiles(store.IncomingDirectory).ShouldBeEmpty();
        (await AddAll(Assembly(), [chunks[3]])).ShouldBe([ChunkOutcome.Repeated]);
    }

    [Fact]
    public async Task A_payload_with_a_missing_chunk_never_enters_the_store()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);

        var outcomes = await AddAll(Assembly(), chunks.Where(chunk => chunk.Index != 4));

        outcomes.ShouldAllBe(outcome => outcome == ChunkOutcome.Stored);
        store.Contains(chunks[0].PayloadSha256).ShouldBeFalse();
        store.AssemblyFailure(chunks[0].PayloadSha256).ShouldBeNull();
    }

    [Fact]
    public async Task A_changed_chunk_makes_the_assembled_payload_be_discarded_with_the_reason_kept()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        var tampered = chunks[2].Bytes.ToArray();
        tampered[0] ^= 0xff;
        chunks[2] = chunks[2] with { Bytes = tampered };

        var outcomes = await AddAll(Assembly(), chunks);

        outcomes[^1].ShouldBe(ChunkOutcome.Discarded);
        var sha256 = chunks[0].PayloadSha256;
        store.Contains(sha256).ShouldBeFalse();
        store.AssemblyFailure(sha256)!.ShouldContain("changed or forged");
        Directory.EnumerateFiles(store.IncomingDirectory).Select(Path.GetFileName).ShouldBe([sha256 + PayloadAssembly.FailedExtension]);
    }

    [Fact]
    public async Task A_restart_in_the_middle_keeps_the_chunks_received_including_after_a_torn_record()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        await AddAll(Assembly(), chunks.Take(6));
        // A crash in the middle of recording the next chunk's index leaves half a record behind.
        await using (var tracking = new FileStream(Path.Combine(store.IncomingDirectory, chunks[0].PayloadSha256 + ".chunks"), FileMode.Append))
        {
            tracking.Write([6, 0]);
        }

        var outcomes = await AddAll(Assembly(), chunks.Skip(5));

        outcomes.ShouldBe([ChunkOutcome.Repeated, .. Enumerable.Repeat(ChunkOutcome.Stored, chunks.Count - 7), ChunkOutcome.Completed]);
        store.Get(chunks[0].PayloadSha256).ShouldBe(payload);
    }

    [Fact]
    public async Task A_chunk_whose_place_contradicts_the_layout_is_refused_and_the_transfer_dropped()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        await AddAll(Assembly(), chunks.Take(2));

        var outcome = await Assembly().AddAsync(chunks[2] with { Offset = 250 }, CancellationToken.None);

        outcome.ShouldBe(ChunkOutcome.Refused);
        store.AssemblyFailure(chunks[0].PayloadSha256)!.ShouldContain("offset 250 is not index 2");
        PayloadAssembly.CheckLayout(chunks[^1], out var size).ShouldBeNull();
        size.ShouldBe(ChunkBytes);
        PayloadAssembly.CheckLayout(chunks[0] with { Count = 3 }, out _).ShouldNotBeNull();
    }

    [Fact]
    public async Task Transfers_beyond_the_size_limits_are_refused_with_the_setting_named()
    {
        var small = new PayloadOptions { MaxPayloadBytes = 1000, MaxIncomingBytes = 1500 };
        var tooBig = PayloadChunks.Of(payload, ChunkBytes);
        (await Assembly(small).AddAsync(tooBig[0], CancellationToken.None)).ShouldBe(ChunkOutcome.Refused);
        store.AssemblyFailure(tooBig[0].PayloadSha256)!.ShouldContain("Aggregator:Payloads:MaxPayloadBytes");

        var first = PayloadChunks.Of(payload[..900], ChunkBytes);
        var second = PayloadChunks.Of(payload[100..1000], ChunkBytes);
        (await Assembly(small).AddAsync(first[0], CancellationToken.None)).ShouldBe(ChunkOutcome.Stored);
        (await Assembly(small).AddAsync(second[0], CancellationToken.None)).ShouldBe(ChunkOutcome.Refused);
        store.AssemblyFailure(second[0].PayloadSha256)!.ShouldContain("Aggregator:Payloads:MaxIncomingBytes");
    }

    [Fact]
    public async Task An_unfinished_transfer_older_than_the_age_limit_is_deleted()
    {
        var stale = PayloadChunks.Of(payload[..500], ChunkBytes);
        await AddAll(Assembly(), stale.Take(2));
        foreach (var file in Directory.EnumerateFiles(store.IncomingDirectory))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }

        await Assembly(new PayloadOptions { MaxIncomingAgeMinutes = 60 }).AddAsync(PayloadChunks.Of(payload, ChunkBytes)[0], CancellationToken.None);

        Directory.EnumerateFiles(store.IncomingDirectory).ShouldAllBe(file => !Path.GetFileName(file).StartsWith(stale[0].PayloadSha256, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Who_waits_for_a_payload_wakes_when_its_last_chunk_completes_it()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        var assembly = Assembly();
        await AddAll(assembly, chunks.SkipLast(1));

        var arrived = arrivals.WhenAssembledAsync(chunks[0].PayloadSha256, CancellationToken.None);
        arrived.IsCompleted.ShouldBeFalse();
        arrivals.IsAwaited(chunks[0].PayloadSha256).ShouldBeTrue();

        (await AddAll(assembly, [chunks[^1]])).ShouldBe([ChunkOutcome.Completed]);
        await arrived;
        store.Contains(chunks[0].PayloadSha256).ShouldBeTrue();
        arrivals.IsAwaited(chunks[0].PayloadSha256).ShouldBeFalse();
    }

    [Fact]
    public async Task Who_waits_for_a_payload_wakes_when_its_assembly_fails()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        var assembly = Assembly();
        await AddAll(assembly, chunks.SkipLast(1));
        var arrived = arrivals.WhenAssembledAsync(chunks[0].PayloadSha256, CancellationToken.None);

        var forged = chunks[^1] with { Bytes = [.. chunks[^1].Bytes.Select(value => (byte)(value ^ 0xff))] };
        (await AddAll(assembly, [forged])).ShouldBe([ChunkOutcome.Discarded]);

        await arrived;
        store.AssemblyFailure(chunks[0].PayloadSha256).ShouldNotBeNull();
    }

    [Fact]
    public async Task Waiting_for_a_payload_already_stored_ends_at_once_and_a_cancelled_wait_throws()
    {
        var chunks = PayloadChunks.Of(payload, ChunkBytes);
        await AddAll(Assembly(), chunks);

        arrivals.WhenAssembledAsync(chunks[0].PayloadSha256, CancellationToken.None).IsCompletedSuccessfully.ShouldBeTrue();
        using var cancelled = new CancellationTokenSource();
        var never = arrivals.WhenAssembledAsync(new string('a', 64), cancelled.Token);
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => never);
        arrivals.IsAwaited(new string('a', 64)).ShouldBeFalse();
    }
}
