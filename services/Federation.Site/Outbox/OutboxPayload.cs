using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Site.Outbox;

/// <summary>
/// A released update as it waits in the outbox: inline bytes when it fits in one message
/// (<see cref="GatewayNode.PayloadChunkBytes"/>), otherwise a file in the state directory, streamed from the tensors
/// so that no second copy of a large update is built in memory.
/// </summary>
/// <param name="Sha256">SHA-256 of the safetensors bytes.</param>
/// <param name="Length">Their length.</param>
/// <param name="Inline">The bytes, when they travel inside the contribution; otherwise null.</param>
/// <param name="File">The file holding them, when they travel in chunks; otherwise null.</param>
public sealed record OutboxPayload(string Sha256, long Length, byte[]? Inline, string? File)
{
    /// <summary>
    /// Serializes <paramref name="update"/> for <paramref name="gateway"/>'s outbox. Call it holding the gateway's
    /// release gate, so that a file it writes is recorded before anything could clear unreferenced files.
    /// </summary>
    public static OutboxPayload Of(GatewayNode gateway, TensorSet update)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (SafeTensorsLayout.Of(update).FileLength <= gateway.PayloadChunkBytes)
        {
            var bytes = SafeTensors.Write(update);
            return new OutboxPayload(Sha256Hex.Of(bytes), bytes.LongLength, bytes, null);
        }

        var (path, sha256, length) = gateway.State.WriteOutboxPayload(stream => SafeTensors.Write(update, stream));
        return new OutboxPayload(sha256, length, null, path);
    }
}
