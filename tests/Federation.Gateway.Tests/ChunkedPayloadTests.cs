using Federation.Contracts.Messages;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;

namespace Federation.Gateway.Tests;

/// <summary>Updates larger than one message wait in a file and go out as chunks, then as a contribution that names them by hash.</summary>
public sealed class ChunkedPayloadTests : IDisposable
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
    public async Task An_update_larger_than_a_chunk_goes_out_as_chunks_then_as_a_contribution_naming_it_by_hash()
    {
        // Given a gateway whose chunks are smaller than its update
        var node = Node();

        // When a round is announced
        await using var run = await Site.StartAsync(node);
        var decision = await run.AnnounceAsync(node, Site.Round(1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution on the bus");

        // Then every chunk was confirmed before the contribution, which carries no payload but signs the chunks' hash
        decision.Allowed.ShouldBeTrue();
        var contribution = run.Published<ContributionSubmitted>().Single();
        contribution.Context.MessageId.ShouldBe(decision.MessageId);
        contribution.Context.Message.Payload.ShouldBeEmpty();
        var manifest = Site.Manifest(contribution.Context.Message);
        manifest.PayloadBytes.ShouldBeGreaterThan(ChunkBytes);

        var chunks = run.Published<ContributionPayloadChunk>().Select(published => published.Context.Message).OrderBy(chunk => chunk.Index).ToList();
        chunks.Count.ShouldBe((int)((manifest.PayloadBytes + ChunkBytes - 1) / ChunkBytes));
        chunks.ShouldAllBe(chunk => chunk.PayloadSha256 == manifest.PayloadSha256 && chunk.TotalBytes == manifest.PayloadBytes && chunk.Count == chunks.Count);
        chunks.Select(chunk => chunk.Offset).ShouldBe(chunks.Select(chunk => (long)chunk.Index * ChunkBytes));
        var payload = chunks.SelectMany(chunk => chunk.Bytes).ToArray();
        Sha256Hex.Of(payload).ShouldBe(manifest.PayloadSha256);
        SafeTensors.Read(payload).Count().ShouldBe(Site.BaseModel.Count());

        // and once sent, the payload file is gone
        await Site.Eventually(() => node.State.PendingOutbox().Count == 0, "the entry marked sent");
        Directory.EnumerateFiles(node.State.OutboxPayloadDirectory).ShouldBeEmpty();
        // and the outbox history (fedctl gateway outbox) still tells its size, from the signed manifest
        node.State.OutboxHistory().Single().PayloadBytes.ShouldBe(manifest.PayloadBytes);
    }

    [Fact]
    public async Task A_restart_resends_every_chunk_of_a_pending_payload_from_its_file()
    {
        // Given a gateway that released a large update and stopped before sending it
        var before = Node();
        var pending = before.Contribute(Site.Round(1));
        var entry = before.State.PendingOutbox().ShouldHaveSingleItem();
        entry.Payload.ShouldBeNull();
        File.Exists(entry.PayloadFile).ShouldBeTrue();

        // When it starts again over the same state
        var after = Node();
        await using var run = await Site.StartAsync(after);
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the pending contribution on the bus");

        // Then the signed contribution goes out after all its chunks, from the file
        var manifest = Site.Manifest(pending.Message!);
        run.Published<ContributionSubmitted>().Single().Context.MessageId.ShouldBe(pending.MessageId);
        var chunks = run.Published<ContributionPayloadChunk>().Select(published => published.Context.Message).OrderBy(chunk => chunk.Index).ToList();
        Sha256Hex.Of(chunks.SelectMany(chunk => chunk.Bytes).ToArray()).ShouldBe(manifest.PayloadSha256);
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
}
