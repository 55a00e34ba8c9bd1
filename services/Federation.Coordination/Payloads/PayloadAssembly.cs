using System.Buffers.Binary;
using Federation.Contracts.Messages;
using Federation.Trust;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Payloads;

/// <summary>What became of one received chunk.</summary>
public enum ChunkOutcome
{
    /// <summary>Written and recorded; more chunks are missing.</summary>
    Stored,

    /// <summary>Already had it (a redelivery or a resend); nothing changed.</summary>
    Repeated,

    /// <summary>The last missing chunk: the payload hashed to its name and is now in the <see cref="PayloadStore"/>.</summary>
    Completed,

    /// <summary>The last missing chunk, but the assembled bytes did not hash to the announced SHA-256: all discarded.</summary>
    Discarded,

    /// <summary>The chunk was malformed or broke a limit; the transfer was dropped.</summary>
    Refused,
}

/// <summary>
/// Assembles payloads that gateways of earlier releases send as <see cref="ContributionPayloadChunk"/>s (gateways now
/// upload them, <see cref="PayloadUploads"/>), without holding them in memory: each
/// chunk is written at its offset into <c>SHA.partial</c> in <see cref="PayloadStore.IncomingDirectory"/>, and its
/// index appended to <c>SHA.chunks</c> once the data is on disk, so a restart loses no received chunk and never counts
/// one whose bytes were not written. When every index has arrived, the file is hashed; it joins the store under its
/// name only if the hash matches, otherwise it is deleted and <c>SHA.failed</c> says why (the contribution that names
/// it is then rejected with that reason). Repeats and any order are harmless. Unfinished transfers are bounded by
/// <see cref="PayloadOptions"/>: announced size, total bytes in flight and age. Every completion or failure is
/// signalled to <see cref="PayloadArrivals"/>, where a contribution naming the payload may be waiting.
/// </summary>
/// <remarks>
/// <c>SHA.chunks</c> is 20 bytes — total length (int64), chunk count (int32), chunk size (int64), little-endian — then
/// one little-endian int32 per chunk received, in arrival order. A crash mid-append leaves a torn last record, which is
/// ignored (that chunk is simply written again when it is redelivered).
/// </remarks>
public sealed class PayloadAssembly(PayloadStore store, PayloadArrivals arrivals, PayloadOptions options, ILogger<PayloadAssembly> logger)
{
    /// <summary>The extension of the file that says why an assembly failed.</summary>
    public const string FailedExtension = ".failed";

    /// <summary>The extension of the file that tracks which chunks of a transfer arrived.</summary>
    internal const string ChunksExtension = ".chunks";

    private const string PartialExtension = ".partial";
    private const int TrackingHeaderBytes = 20;

    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Writes and records one chunk; completes the payload when it was the last one missing.</summary>
    /// <param name="chunk">The chunk as received.</param>
    /// <param name="cancellationToken">Stops waiting for another chunk being written.</param>
    public async Task<ChunkOutcome> AddAsync(ContributionPayloadChunk chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return Add(chunk);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The chunk size a well-formed chunk implies, or why it is malformed (see docs/FORMATS.md).</summary>
    public static string? CheckLayout(ContributionPayloadChunk chunk, out long chunkSize)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        chunkSize = 0;
        if (chunk.Bytes is not { Length: > 0 } bytes)
        {
            return "it carries no bytes";
        }

        if (chunk.TotalBytes <= 0 || chunk.Count < 1 || chunk.Index < 0 || chunk.Index >= chunk.Count)
        {
            return $"total {chunk.TotalBytes} bytes, index {chunk.Index} of {chunk.Count} chunks is impossible";
        }

        bool last = chunk.Index == chunk.Count - 1;
        if (!last)
        {
            chunkSize = bytes.Length;
        }
        else if (chunk.Index == 0)
        {
            chunkSize = chunk.TotalBytes;
        }
        else if (chunk.Offset > 0 && chunk.Offset % chunk.Index == 0)
        {
            chunkSize = chunk.Offset / chunk.Index;
        }
        else
        {
            return $"offset {chunk.Offset} of the last chunk is not a multiple of its index {chunk.Index}";
        }

        if (chunk.Offset != chunk.Index * chunkSize)
        {
            return $"offset {chunk.Offset} is not index {chunk.Index} × chunk size {chunkSize}";
        }

        if ((chunk.TotalBytes + chunkSize - 1) / chunkSize != chunk.Count)
        {
            return $"{chunk.Count} chunks of {chunkSize} bytes do not make {chunk.TotalBytes} bytes";
        }

        long expected = last ? chunk.TotalBytes - chunk.Offset : chunkSize;
        return bytes.Length == expected ? null : $"it has {bytes.Length} bytes; chunk {chunk.Index} must have {expected}";
    }

    private ChunkOutcome Add(ContributionPayloadChunk chunk)
    {
        var sha256 = chunk.PayloadSha256;
        if (!Sha256Hex.IsWellFormed(sha256))
        {
            logger.LogWarning("Dropped a payload chunk naming '{Sha256}', which is not a lowercase SHA-256", sha256);
            return ChunkOutcome.Refused;
        }

        if (store.Contains(sha256))
        {
            return ChunkOutcome.Repeated;
        }

        Directory.CreateDirectory(store.IncomingDirectory);
        if (CheckLayout(chunk, out long chunkSize) is { } malformed)
        {
            return Fail(sha256, $"Chunk {chunk.Index} of payload {sha256} was malformed ({malformed}); the transfer was dropped.");
        }

        var partial = store.IncomingPath(sha256, PartialExtension);
        var tracking = store.IncomingPath(sha256, ChunksExtension);
        var transfer = ReadTracking(tracking);
        if (transfer is null)
        {
            // A new transfer is when space is claimed, so that is when abandoned ones are swept, not on every chunk.
            IncomingTransfers.RemoveStale(store, options.MaxIncomingAge, logger);
            if (IncomingTransfers.RefusalOfNew(store, options, sha256, chunk.TotalBytes) is { } refusal)
            {
                return Fail(sha256, refusal);
            }

            // A fresh attempt (e.g. the gateway resending after a failed one) starts clean.
            File.Delete(store.IncomingPath(sha256, FailedExtension));
            WriteAt(partial, chunk.Offset, chunk.Bytes, FileMode.Create);
            StartTracking(tracking, chunk, chunkSize);
            transfer = new Transfer(chunk.TotalBytes, chunk.Count, chunkSize, [chunk.Index]);
        }
        else
        {
            if (transfer.TotalBytes != chunk.TotalBytes || transfer.Count != chunk.Count || transfer.ChunkSize != chunkSize)
            {
                return Fail(sha256,
                    $"Chunk {chunk.Index} of payload {sha256} ({chunk.TotalBytes} bytes in {chunk.Count} chunks of {chunkSize}) contradicts the earlier chunks " +
                    $"({transfer.TotalBytes} bytes in {transfer.Count} chunks of {transfer.ChunkSize}); the transfer was dropped.");
            }

            if (!transfer.Received.Add(chunk.Index))
            {
                return ChunkOutcome.Repeated;
            }

            WriteAt(partial, chunk.Offset, chunk.Bytes, FileMode.Open);
            AppendIndex(tracking, chunk.Index);
        }

        return transfer.Received.Count == transfer.Count ? Complete(sha256, partial, tracking, transfer) : ChunkOutcome.Stored;
    }

    private ChunkOutcome Complete(string sha256, string partial, string tracking, Transfer transfer)
    {
        string actual;
        long length;
        using (var file = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            length = file.Length;
            actual = Sha256Hex.Of(file);
        }

        if (actual != sha256 || length != transfer.TotalBytes)
        {
            Fail(sha256,
                $"The {transfer.Count} chunks sent as payload {sha256} ({transfer.TotalBytes} bytes) assembled to {length} bytes with SHA-256 {actual}: " +
                "a chunk was changed or forged on the way, so the payload was discarded.");
            return ChunkOutcome.Discarded;
        }

        store.Adopt(partial, sha256);
        File.Delete(tracking);
        arrivals.Settled(sha256);
        logger.LogInformation("Assembled payload {Sha256} ({Bytes} bytes) from {Count} chunks", sha256, transfer.TotalBytes, transfer.Count);
        return ChunkOutcome.Completed;
    }

    private ChunkOutcome Fail(string sha256, string reason)
    {
        File.Delete(store.IncomingPath(sha256, PartialExtension));
        File.Delete(store.IncomingPath(sha256, ChunksExtension));
        IncomingTransfers.RecordFailure(store, sha256, reason);
        arrivals.Settled(sha256);
        logger.LogWarning("Payload assembly failed: {Reason}", reason);
        return ChunkOutcome.Refused;
    }

    private static void WriteAt(string path, long offset, byte[] bytes, FileMode mode)
    {
        using var file = new FileStream(path, mode, FileAccess.Write, FileShare.None, bufferSize: 1);
        file.Position = offset;
        file.Write(bytes);
        // On disk before its index is recorded: a recorded chunk is never lost in a crash.
        file.Flush(flushToDisk: true);
    }

    private static void StartTracking(string tracking, ContributionPayloadChunk chunk, long chunkSize)
    {
        var header = new byte[TrackingHeaderBytes + 4];
        BinaryPrimitives.WriteInt64LittleEndian(header, chunk.TotalBytes);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), chunk.Count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), chunkSize);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(TrackingHeaderBytes), chunk.Index);
        var temporary = $"{tracking}.tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            file.Write(header);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, tracking, overwrite: true);
    }

    private static void AppendIndex(string tracking, int index)
    {
        Span<byte> record = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(record, index);
        using var file = new FileStream(tracking, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
        file.Write(record);
        file.Flush(flushToDisk: true);
    }

    private static Transfer? ReadTracking(string tracking)
    {
        if (!File.Exists(tracking))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(tracking);
        if (bytes.Length < TrackingHeaderBytes)
        {
            return null;
        }

        int records = (bytes.Length - TrackingHeaderBytes) / 4;
        if (TrackingHeaderBytes + (records * 4) != bytes.Length)
        {
            // A torn last record: drop it, so later appends stay aligned.
            using var file = new FileStream(tracking, FileMode.Open, FileAccess.Write);
            file.SetLength(TrackingHeaderBytes + (records * 4));
        }

        var received = new HashSet<int>();
        for (int i = 0; i < records; i++)
        {
            received.Add(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(TrackingHeaderBytes + (i * 4))));
        }

        return new Transfer(
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)),
            BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12)),
            received);
    }

    private sealed record Transfer(long TotalBytes, int Count, long ChunkSize, HashSet<int> Received);
}
