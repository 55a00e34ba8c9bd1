using System.Collections.Concurrent;
using Federation.Contracts.Messages;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;

namespace Federation.Gateway.Tests;

/// <summary>Updates larger than one message wait in a file, are uploaded, then go out as a contribution that names them by hash.</summary>
public sealed class LargePayloadTests : IDisposable
{
    private const int ChunkBytes = 64;

    private readonly Site site = new();

    public void Dispose() => site.Dispose();

    private GatewayNode Node() => new(
        Site.GatewayId, site.Key, Site.Policy(), site.Node().Trainer, site.Clock, Site.AggregatorKeyId, GatewayState.Open(site.StateDirectory))
    {
        PayloadChunkBytes = ChunkBytes,
    };

    [Fact]
    public async Task An_update_larger_than_a_message_is_uploaded_then_its_contribution_names_it_by_hash_and_carries_no_payload()
    {
        // Given a gateway whose updates are larger than one message
        var node = Node();
        var uploads = new RecordingDestination();

        // When a round is announced
        await using var run = await Site.StartAsync(node, payloads: uploads);
        var decision = await run.AnnounceAsync(node, Site.Round(1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution on the bus");

        // Then the payload was uploaded before the contribution, which carries no payload but signs its hash
        decision.Allowed.ShouldBeTrue();
        var contribution = run.Published<ContributionSubmitted>().Single();
        contribution.Context.MessageId.ShouldBe(decision.MessageId);
        contribution.Context.Message.Payload.ShouldBeEmpty();
        var manifest = Site.Manifest(contribution.Context.Message);
        manifest.PayloadBytes.ShouldBeGreaterThan(ChunkBytes);
        var uploaded = uploads.Received.ShouldHaveSingleItem();
        uploaded.Key.ShouldBe(manifest.PayloadSha256);
        Sha256Hex.Of(uploaded.Value).ShouldBe(manifest.PayloadSha256);
        SafeTensors.Read(uploaded.Value).Count().ShouldBe(Site.BaseModel.Count());
        uploads.FirstUploadAt.ShouldNotBeNull().ShouldBeLessThan(contribution.Context.SentTime!.Value.ToUniversalTime().AddSeconds(1));
        run.Published<ContributionPayloadChunk>().ShouldBeEmpty();

        // and once sent, the payload file is gone
        await Site.Eventually(() => node.State.PendingOutbox().Count == 0, "the entry marked sent");
        Directory.EnumerateFiles(node.State.OutboxPayloadDirectory).ShouldBeEmpty();
        // and the outbox history (fedctl gateway outbox) still tells its size, from the signed manifest
        node.State.OutboxHistory().Single().PayloadBytes.ShouldBe(manifest.PayloadBytes);
    }

    [Fact]
    public async Task While_the_upload_fails_the_contribution_stays_in_the_outbox_unpublished_and_goes_out_once_it_succeeds()
    {
        // Given a gateway whose uploads fail
        var node = Node();
        var uploads = new RecordingDestination { Failing = true };
        await using var run = await Site.StartAsync(node, payloads: uploads);

        // When a round is released while they fail
        await run.AnnounceAsync(node, Site.Round(1));
        await Site.Eventually(() => node.State.PendingOutbox().SingleOrDefault()?.Attempts >= 3, "three failed attempts");
        run.Published<ContributionSubmitted>().ShouldBeEmpty();
        node.State.OutboxHistory().Single().LastError.ShouldNotBeNull().ShouldContain("upload refused");

        // and uploads work again
        uploads.Failing = false;

        // Then the payload is uploaded and the contribution published, once
        await Site.Eventually(() => node.State.PendingOutbox().Count == 0, "the entry marked sent");
        run.Published<ContributionSubmitted>().Count.ShouldBe(1);
        uploads.Received.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_gateway_with_nowhere_to_upload_keeps_the_entry_and_says_which_setting_is_missing()
    {
        var node = Node();
        await using var run = await Site.StartAsync(node);

        await run.AnnounceAsync(node, Site.Round(1));

        await Site.Eventually(() => node.State.PendingOutbox().SingleOrDefault()?.Attempts >= 1, "a failed attempt");
        node.State.OutboxHistory().Single().LastError.ShouldNotBeNull().ShouldContain("Gateway:Aggregator:BaseUrl");
        run.Published<ContributionSubmitted>().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_restart_uploads_a_pending_payload_from_its_file_then_publishes_its_contribution()
    {
        // Given a gateway that released a large update and stopped before sending it
        var before = Node();
        var pending = before.Contribute(Site.Round(1));
        var entry = before.State.PendingOutbox().ShouldHaveSingleItem();
        entry.Payload.ShouldBeNull();
        File.Exists(entry.PayloadFile).ShouldBeTrue();

        // When it starts again over the same state
        var after = Node();
        var uploads = new RecordingDestination();
        await using var run = await Site.StartAsync(after, payloads: uploads);
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the pending contribution on the bus");

        // Then the signed contribution goes out after its payload, uploaded from the file
        var manifest = Site.Manifest(pending.Message!);
        run.Published<ContributionSubmitted>().Single().Context.MessageId.ShouldBe(pending.MessageId);
        Sha256Hex.Of(uploads.Received[manifest.PayloadSha256]).ShouldBe(manifest.PayloadSha256);
        await Site.Eventually(() => !File.Exists(entry.PayloadFile), "the payload file deleted once sent");
    }

    [Fact]
    public void An_update_that_fits_in_one_chunk_still_travels_inline()
    {
        var node = site.Node();

        var released = node.Contribute(Site.Round(1));

        var entry = node.State.PendingOutbox().ShouldHaveSingleItem();
        entry.PayloadFile.ShouldBeNull();
        entry.Payload.ShouldBe(released.Message!.Payload);
        Sha256Hex.Of(entry.Payload!).ShouldBe(Site.Manifest(released.Message).PayloadSha256);
    }

    [Fact]
    public void A_payload_file_no_pending_entry_names_is_removed_when_the_sender_starts_clearing()
    {
        var node = Node();
        var (orphan, _, _) = node.State.WriteOutboxPayload(stream => stream.Write([1, 2, 3]));

        node.State.RemoveUnreferencedPayloadFiles();

        File.Exists(orphan).ShouldBeFalse();
    }

    /// <summary>Takes uploads in memory (reading the file as a real destination streams it), or refuses them while failing.</summary>
    private sealed class RecordingDestination : IPayloadDestination
    {
        public ConcurrentDictionary<string, byte[]> Received { get; } = new();

        public bool Failing { get; set; }

        public DateTime? FirstUploadAt { get; private set; }

        public async Task SendAsync(string sha256, string file, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                throw new HttpRequestException("upload refused (test)");
            }

            FirstUploadAt ??= DateTime.UtcNow;
            Received[sha256] = await File.ReadAllBytesAsync(file, cancellationToken);
        }
    }
}
