using Federation.Contracts.Messages;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>Cuts a payload into chunks the way a gateway does (docs/FORMATS.md).</summary>
internal static class PayloadChunks
{
    public static List<ContributionPayloadChunk> Of(byte[] payload, int chunkBytes)
    {
        var sha256 = Sha256Hex.Of(payload);
        int count = (payload.Length + chunkBytes - 1) / chunkBytes;
        return [.. Enumerable.Range(0, count).Select(index =>
        {
            int offset = index * chunkBytes;
            return new ContributionPayloadChunk(sha256, payload.Length, index, count, offset, payload[offset..Math.Min(payload.Length, offset + chunkBytes)]);
        })];
    }
}
