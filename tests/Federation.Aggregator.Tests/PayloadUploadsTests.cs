using System.Security.Cryptography;
using Federation.Coordination.Payloads;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Aggregator.Tests;

public sealed class PayloadUploadsTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"federation-upload-tests-{Guid.NewGuid():N}");
    private readonly PayloadStore store;
    private readonly PayloadArrivals arrivals;
    private readonly byte[] payload = RandomNumberGenerator.GetBytes(1_000_000);
    private readonly string sha256;

    public PayloadUploadsTests()
    {
        store = new PayloadStore(folder);
        arrivals = new PayloadArrivals(store);
        sha256 = Convert.ToHexStringLower(SHA256.HashData(payload));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private PayloadUploads Uploads(PayloadOptions? options = null) => new(store, arrivals, options ?? new PayloadOptions(), NullLogger<PayloadUploads>.Instance);

    private Task<UploadResult> Append(PayloadUploads uploads, long offset, int count, string? name = null, long? total = null) =>
        uploads.AppendAsync(name ?? sha256, offset, total ?? payload.Length, new MemoryStream(payload, (int)offset, count), CancellationToken.None);

    [Fact]
    public async Task A_whole_upload_enters_the_store_under_its_hash_and_leaves_nothing_in_incoming()
    {
        var uploads = Uploads();

        var result = await Append(uploads, 0, payload.Length);

        result.Outcome.ShouldBe(UploadOutcome.Completed);
        store.Get(sha256).ShouldBe(payload);
        uploads.StatusOf(sha256).ShouldBe(new UploadStatus(payload.Length, true, payload.Length));
        Directory.EnumerateFiles(store.IncomingDirectory).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_upload_cut_off_midway_resumes_at_the_offset_the_aggregator_holds()
    {
        var uploads = Uploads();

        var first = await Append(uploads, 0, 400_000);
        var status = Uploads().StatusOf(sha256);
        var rest = await Append(Uploads(), status.Offset, payload.Length - (int)status.Offset);

        first.Outcome.ShouldBe(UploadOutcome.Stored);
        status.ShouldBe(new UploadStatus(400_000, false, payload.Length));
        rest.Outcome.ShouldBe(UploadOutcome.Completed);
        store.Get(sha256).ShouldBe(payload);
    }

    [Fact]
    public async Task An_append_at_another_offset_than_the_one_held_is_a_conflict_that_names_the_right_offset_and_writes_nothing()
    {
        var uploads = Uploads();
        await Append(uploads, 0, 400_000);

        var result = await Append(uploads, 300_000, 100_000);

        result.Outcome.ShouldBe(UploadOutcome.Conflict);
        result.Reason.ShouldNotBeNull().ShouldContain("Continue at offset 400000");
        uploads.StatusOf(sha256).Offset.ShouldBe(400_000);
    }

    [Fact]
    public async Task An_append_that_announces_another_total_than_the_upload_began_with_is_a_conflict()
    {
        var uploads = Uploads();
        await Append(uploads, 0, 400_000);

        var result = await Append(uploads, 400_000, 100_000, total: payload.Length + 1);

        result.Outcome.ShouldBe(UploadOutcome.Conflict);
        uploads.StatusOf(sha256).ShouldBe(new UploadStatus(400_000, false, payload.Length));
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_their_name_are_discarded_and_the_reason_names_both_hashes()
    {
        var uploads = Uploads();
        var wrongName = new string('a', 64);

        var result = await Append(uploads, 0, payload.Length, name: wrongName);

        result.Outcome.ShouldBe(UploadOutcome.Discarded);
        store.Contains(wrongName).ShouldBeFalse();
        store.AssemblyFailure(wrongName).ShouldNotBeNull().ShouldContain(sha256);
        store.AssemblyFailure(wrongName)!.ShouldContain(wrongName);
        uploads.StatusOf(wrongName).ShouldBe(new UploadStatus(0, false, null));
    }

    [Fact]
    public async Task A_payload_larger_than_the_limit_is_refused_before_a_byte_is_written_naming_the_setting()
    {
        var uploads = Uploads(new PayloadOptions { MaxPayloadBytes = payload.Length - 1 });

        var result = await Append(uploads, 0, 10);

        result.Outcome.ShouldBe(UploadOutcome.TooLarge);
        result.Reason.ShouldNotBeNull().ShouldContain("Aggregator:Payloads:MaxPayloadBytes");
        Directory.Exists(store.IncomingDirectory).ShouldBeFalse();
    }

    [Fact]
    public async Task An_upload_that_would_overfill_the_space_for_unfinished_transfers_is_refused_for_now()
    {
        var uploads = Uploads(new PayloadOptions { MaxIncomingBytes = (payload.Length * 3L) / 2 });
        var other = RandomNumberGenerator.GetBytes(payload.Length);
        await uploads.AppendAsync(Convert.ToHexStringLower(SHA256.HashData(other)), 0, other.Length, new MemoryStream(other, 0, 10), CancellationToken.None);

        var result = await Append(uploads, 0, 10);

        result.Outcome.ShouldBe(UploadOutcome.NoRoom);
        result.Reason.ShouldNotBeNull().ShouldContain("Aggregator:Payloads:MaxIncomingBytes");
        uploads.StatusOf(sha256).ShouldBe(new UploadStatus(0, false, null));
    }

    [Fact]
    public async Task A_first_append_must_start_at_offset_0()
    {
        var result = await Append(Uploads(), 10, 10);

        result.Outcome.ShouldBe(UploadOutcome.Conflict);
        result.Reason.ShouldNotBeNull().ShouldContain("offset 0");
    }

    [Fact]
    public async Task A_second_append_while_one_runs_is_a_conflict_and_the_first_completes()
    {
        var uploads = Uploads();
        var slow = new GatedStream(payload);
        var running = uploads.AppendAsync(sha256, 0, payload.Length, slow, CancellationToken.None);
        await slow.Started;

        var second = await Append(uploads, 0, payload.Length);
        slow.Release();

        second.Outcome.ShouldBe(UploadOutcome.Conflict);
        (await running).Outcome.ShouldBe(UploadOutcome.Completed);
        store.Get(sha256).ShouldBe(payload);
    }

    [Fact]
    public async Task An_upload_already_in_the_store_is_complete_without_reading_the_body()
    {
        await store.PutAsync(payload);

        var result = await Uploads().AppendAsync(sha256, 0, payload.Length, new MemoryStream([1, 2, 3]), CancellationToken.None);

        result.Outcome.ShouldBe(UploadOutcome.Completed);
        store.Get(sha256).ShouldBe(payload);
    }

    [Fact]
    public async Task A_contribution_waiting_for_the_payload_is_woken_when_the_upload_completes()
    {
        var waiting = arrivals.WhenAssembledAsync(sha256, CancellationToken.None);

        await Append(Uploads(), 0, payload.Length);

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        store.Contains(sha256).ShouldBeTrue();
    }

    /// <summary>A body that gives its first bytes, then waits until released: an upload caught midway.</summary>
    private sealed class GatedStream(byte[] bytes) : MemoryStream(bytes)
    {
        private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => started.Task;

        public void Release() => released.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position > 0)
            {
                started.TrySetResult();
                await released.Task;
            }

            return await base.ReadAsync(buffer, cancellationToken);
        }
    }
}
