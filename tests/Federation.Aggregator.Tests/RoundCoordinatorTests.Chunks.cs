using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Coordination.Hosting;
using Federation.Coordination.Payloads;
using Federation.Learning.Tensors;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests;

/// <summary>Contributions whose payload travelled in chunks: checked from the payload store, never inline.</summary>
public sealed partial class RoundCoordinatorTests
{
    private const int ChunkBytes = 48;

    private PayloadAssembly Assembly => services.GetRequiredService<PayloadAssembly>();

    private PayloadArrivals Arrivals => services.GetRequiredService<PayloadArrivals>();

    /// <summary>Sends the payload's chunks to the assembly and returns the contribution that names it by hash.</summary>
    private async Task<ContributionSubmitted> SendInChunksAsync(TestGateway gateway, TensorSet update, Func<byte[], byte[]>? tamper = null)
    {
        var contribution = gateway.Contribute(update);
        foreach (var chunk in PayloadChunks.Of(tamper?.Invoke(contribution.Payload) ?? contribution.Payload, ChunkBytes))
        {
            // Chunks travel under the hash the manifest signs, whatever their bytes.
            await Assembly.AddAsync(chunk with { PayloadSha256 = Trust.Sha256Hex.Of(contribution.Payload) }, CancellationToken.None);
        }

        return contribution with { Payload = [] };
    }

    [Fact]
    public async Task Contributions_sent_in_chunks_are_accepted_by_hash_and_aggregated()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        var firstClaim = await SendInChunksAsync(first, TestGateway.Update(0.5f));
        await Coordinator.SubmitAsync(firstClaim, Guid.NewGuid(), CancellationToken.None);
        await Coordinator.SubmitAsync(await SendInChunksAsync(second, TestGateway.Update(0.25f)), Guid.NewGuid(), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionRejected>().ShouldBeEmpty();
        var accepted = history.OfType<ContributionAccepted>().ToList();
        accepted.Count.ShouldBe(2);
        var payload = SafeTensors.Write(TestGateway.Update(0.5f));
        accepted[0].PayloadSha256.ShouldBe(Trust.Sha256Hex.Of(payload));
        accepted[0].PayloadBytes.ShouldBe(payload.Length);
        history.OfType<ModelVersionPublished>().Last().Version.ShouldBe(1);
    }

    [Fact]
    public async Task A_contribution_arriving_before_its_last_chunk_waits_for_it()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, [first.Id], CancellationToken.None);
        var contribution = first.Contribute(TestGateway.Update());
        var chunks = PayloadChunks.Of(contribution.Payload, ChunkBytes);
        foreach (var chunk in chunks.SkipLast(1))
        {
            await Assembly.AddAsync(chunk, CancellationToken.None);
        }

        // Up to its wait, a submission runs synchronously: when the call returns, it is waiting for the payload.
        var submitted = Coordinator.SubmitAsync(contribution with { Payload = [] }, Guid.NewGuid(), CancellationToken.None);
        Arrivals.IsAwaited(chunks[0].PayloadSha256).ShouldBeTrue();
        submitted.IsCompleted.ShouldBeFalse();
        (await HistoryAsync()).OfType<ContributionAccepted>().ShouldBeEmpty();

        await Assembly.AddAsync(chunks[^1], CancellationToken.None);
        await submitted;

        (await HistoryAsync()).OfType<ContributionAccepted>().ShouldHaveSingleItem().GatewayId.ShouldBe(first.Id);
        Arrivals.IsAwaited(chunks[0].PayloadSha256).ShouldBeFalse();
    }

    [Fact]
    public async Task A_contribution_waiting_for_its_chunks_is_rejected_with_the_reason_when_they_assemble_to_other_bytes()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, [first.Id], CancellationToken.None);
        var contribution = first.Contribute(TestGateway.Update());
        var chunks = PayloadChunks.Of(contribution.Payload, ChunkBytes);
        foreach (var chunk in chunks.SkipLast(1))
        {
            await Assembly.AddAsync(chunk, CancellationToken.None);
        }

        var submitted = Coordinator.SubmitAsync(contribution with { Payload = [] }, Guid.NewGuid(), CancellationToken.None);
        Arrivals.IsAwaited(chunks[0].PayloadSha256).ShouldBeTrue();
        await Assembly.AddAsync(chunks[^1] with { Bytes = [.. chunks[^1].Bytes.Select(value => (byte)(value ^ 0x01))] }, CancellationToken.None);
        await submitted;

        var rejected = (await HistoryAsync()).OfType<ContributionRejected>().ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.PayloadHashMismatch);
        rejected.Detail.ShouldContain("changed or forged");
    }

    [Fact]
    public async Task A_tampered_chunk_gets_the_contribution_rejected_with_the_reason()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        var claim = await SendInChunksAsync(first, TestGateway.Update(), payload =>
        {
            var changed = payload.ToArray();
            changed[^1] ^= 0x01;
            return changed;
        });
        await Coordinator.SubmitAsync(claim, Guid.NewGuid(), CancellationToken.None);

        var rejected = (await HistoryAsync()).OfType<ContributionRejected>().ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.PayloadHashMismatch);
        rejected.Detail.ShouldContain("changed or forged");
        rejected.Round.ShouldBe(1);
    }

    [Fact]
    public async Task Bad_values_in_a_chunked_payload_are_rejected_like_inline_ones()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        var notFinite = TestGateway.Update();
        notFinite.First().Values[1] = float.NaN;

        await Coordinator.SubmitAsync(await SendInChunksAsync(first, notFinite), Guid.NewGuid(), CancellationToken.None);

        var rejected = (await HistoryAsync()).OfType<ContributionRejected>().ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.NonFiniteValues);
        rejected.Detail.ShouldContain("NaN at index 1");
    }

    [Fact]
    public async Task A_contribution_whose_chunks_never_come_is_rejected_after_the_wait()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()) with { Payload = [] }, Guid.NewGuid(), CancellationToken.None);

        var rejected = (await HistoryAsync()).OfType<ContributionRejected>().ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.PayloadHashMismatch);
        rejected.Detail.ShouldContain("no complete payload with that hash arrived in time");
    }
}
