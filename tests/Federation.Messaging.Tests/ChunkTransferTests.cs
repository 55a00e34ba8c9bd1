using System.Diagnostics;
using System.Security.Cryptography;
using Federation.Contracts.Messages;

namespace Federation.Messaging.Tests;

/// <summary>
/// A payload too large for one message crosses the real broker in chunks, as gateways of earlier releases send them
/// (gateways now upload it over HTTPS): one chunk at a time, each confirmed; the aggregator's real chunk consumer
/// assembles it on disk and the payload store takes it only under its verified hash.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ChunkTransferTests(BrokerFederation federation) : IClassFixture<BrokerFederation>
{
    private const int PayloadBytes = 32 << 20;
    private const int ChunkBytes = 256 << 10;

    [Fact]
    public async Task A_32_MB_payload_sent_in_256_KB_chunks_is_assembled_in_the_store_under_its_hash()
    {
        // Given a 32 MB payload, named by its SHA-256
        var payload = RandomNumberGenerator.GetBytes(PayloadBytes);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(payload));

        // When gateway factory-1 publishes it in 128 chunks
        var bus = federation.Gateways[BrokerFederation.Gateway1].Bus;
        int count = PayloadBytes / ChunkBytes;
        for (int index = 0; index < count; index++)
        {
            await bus.Publish(new ContributionPayloadChunk(sha256, PayloadBytes, index, count, (long)index * ChunkBytes, payload[(index * ChunkBytes)..((index + 1) * ChunkBytes)]));
        }

        // Then the aggregator's store holds exactly those bytes, and no partial transfer is left
        var waited = Stopwatch.StartNew();
        while (!federation.Payloads.Contains(sha256))
        {
            waited.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90), "the payload assembled in the store");
            await Task.Delay(100);
        }

        federation.Payloads.Get(sha256).ShouldBe(payload);
        federation.Payloads.AssemblyFailure(sha256).ShouldBeNull();
        Directory.EnumerateFiles(federation.Payloads.IncomingDirectory).ShouldBeEmpty();
    }
}
