using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Federation.Trust;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Payloads;

/// <summary>Where an upload of a payload stands.</summary>
/// <param name="Offset">The bytes the aggregator holds, from byte 0: where the next append starts.</param>
/// <param name="Complete">The payload is in the <see cref="PayloadStore"/> (then <paramref name="Offset"/> is its length).</param>
/// <param name="Length">The total length the upload announced, or null when no upload is under way.</param>
public sealed record UploadStatus(long Offset, bool Complete, long? Length);

/// <summary>What became of one append.</summary>
public enum UploadOutcome
{
    /// <summary>The bytes were written; more are missing.</summary>
    Stored,

    /// <summary>The payload hashed to its name and is in the store (or already was).</summary>
    Completed,

    /// <summary>All bytes arrived but did not hash to the payload's name: all discarded, and the reason kept.</summary>
    Discarded,

    /// <summary>The offset or the total contradicts what the aggregator holds, or another append of it is under way: nothing written.</summary>
    Conflict,

    /// <summary>The name, offset or length is malformed: nothing written.</summary>
    Malformed,

    /// <summary>The payload is larger than the aggregator ever accepts: nothing written.</summary>
    TooLarge,

    /// <summary>The payload does not fit beside the unfinished transfers now; it may later: nothing written.</summary>
    NoRoom,
}

/// <summary>The outcome of an append, where the upload stands after it, and the reason a person can act on.</summary>
public sealed record UploadResult(UploadOutcome Outcome, UploadStatus Status, string? Reason);

/// <summary>
/// Receives payloads a gateway uploads by their SHA-256 (docs/FORMATS.md, payload upload), streaming them to disk
/// without holding them: the bytes are appended to <c>SHA.upload</c> in <see cref="PayloadStore.IncomingDirectory"/>,
/// whose length is where a resumed upload continues, beside <c>SHA.upload-length</c> (the announced total, a
/// little-endian int64). When the last byte is in, the file is hashed; it joins the store under its name only if the
/// hash matches, otherwise it is deleted and the reason kept (<see cref="PayloadStore.AssemblyFailure"/>), so the
/// contribution naming it is rejected with that reason. Uploads of different payloads run side by side; a second
/// append of the same payload while one runs is a conflict. The limits are <see cref="PayloadOptions"/>'s, shared with
/// the chunks of earlier gateways (<see cref="PayloadAssembly"/>).
/// </summary>
public sealed class PayloadUploads(PayloadStore store, PayloadArrivals arrivals, PayloadOptions options, ILogger<PayloadUploads> logger)
{
    /// <summary>The extension of the file that announces an upload's total length.</summary>
    internal const string LengthExtension = ".upload-length";

    private const string DataExtension = ".upload";
    private const int BufferBytes = 256 * 1024;

    private readonly ConcurrentDictionary<string, bool> appending = new(StringComparer.Ordinal);

    // Claiming space for a new upload reads every unfinished transfer's total; two claims at once could both fit.
    private readonly Lock claims = new();

    /// <summary>Where the upload of <paramref name="sha256"/> stands (offset 0 when none has started).</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not a lowercase SHA-256 digest.</exception>
    public UploadStatus StatusOf(string sha256)
    {
        if (store.Contains(sha256))
        {
            long length = store.LengthOf(sha256);
            return new UploadStatus(length, true, length);
        }

        var data = new FileInfo(store.IncomingPath(sha256, DataExtension));
        var lengthFile = store.IncomingPath(sha256, LengthExtension);
        return data.Exists && File.Exists(lengthFile)
            ? new UploadStatus(data.Length, false, IncomingTransfers.ReadTotal(lengthFile))
            : new UploadStatus(0, false, null);
    }

    /// <summary>
    /// Appends <paramref name="body"/> to the upload of <paramref name="sha256"/> at <paramref name="offset"/>; the
    /// first append (offset 0) starts the upload and claims <paramref name="totalBytes"/> of space.
    /// </summary>
    /// <param name="sha256">The payload's name: its SHA-256, lowercase hex.</param>
    /// <param name="offset">Where these bytes start; must be what <see cref="StatusOf"/> says.</param>
    /// <param name="totalBytes">The payload's whole length; must be the same in every append.</param>
    /// <param name="body">The bytes from <paramref name="offset"/>, read until it ends or the payload is whole.</param>
    /// <param name="cancellationToken">Stops reading; what was written stays, and the upload resumes from there.</param>
    public async Task<UploadResult> AppendAsync(string sha256, long offset, long totalBytes, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Sha256Hex.IsWellFormed(sha256))
        {
            return new UploadResult(UploadOutcome.Malformed, new UploadStatus(0, false, null), $"'{sha256}' is not a SHA-256 digest (64 lowercase hex digits).");
        }

        if (!appending.TryAdd(sha256, true))
        {
            return new UploadResult(UploadOutcome.Conflict, StatusOf(sha256), $"Another upload of payload {sha256} is under way; ask for its offset and continue once it ends.");
        }

        try
        {
            return await AppendAloneAsync(sha256, offset, totalBytes, body, cancellationToken);
        }
        finally
        {
            appending.TryRemove(sha256, out _);
        }
    }

    private async Task<UploadResult> AppendAloneAsync(string sha256, long offset, long totalBytes, Stream body, CancellationToken cancellationToken)
    {
        var status = StatusOf(sha256);
        if (status.Complete)
        {
            return new UploadResult(UploadOutcome.Completed, status, null);
        }

        if (totalBytes <= 0 || offset < 0 || offset >= totalBytes)
        {
            return new UploadResult(UploadOutcome.Malformed, status, $"Offset {offset} of a {totalBytes}-byte payload is impossible.");
        }

        if (status.Length is null)
        {
            if (offset != 0)
            {
                return new UploadResult(UploadOutcome.Conflict, status, $"No upload of payload {sha256} is under way; start it at offset 0, not {offset}.");
            }

            if (IncomingTransfers.TooLarge(options, sha256, totalBytes) is { } tooLarge)
            {
                return new UploadResult(UploadOutcome.TooLarge, status, tooLarge);
            }

            if (Claim(sha256, totalBytes) is { } noRoom)
            {
                return new UploadResult(UploadOutcome.NoRoom, status, noRoom);
            }

            status = StatusOf(sha256);
        }
        else if (status.Length != totalBytes || status.Offset != offset)
        {
            return new UploadResult(UploadOutcome.Conflict, status,
                $"The upload of payload {sha256} holds {status.Offset} of {status.Length} bytes; this append starts at {offset} of {totalBytes}. Continue at offset {status.Offset}.");
        }

        var data = store.IncomingPath(sha256, DataExtension);
        long held = await WriteAsync(data, offset, totalBytes, body, cancellationToken);
        if (held < totalBytes)
        {
            return new UploadResult(UploadOutcome.Stored, new UploadStatus(held, false, totalBytes), null);
        }

        return Complete(sha256, data, totalBytes);
    }

    /// <summary>Starts an upload: sweeps abandoned transfers, checks the room left, writes the length file and an empty data file.</summary>
    private string? Claim(string sha256, long totalBytes)
    {
        lock (claims)
        {
            Directory.CreateDirectory(store.IncomingDirectory);
            IncomingTransfers.RemoveStale(store, options.MaxIncomingAge, logger);
            if (IncomingTransfers.NoRoom(store, options, sha256, totalBytes) is { } refusal)
            {
                logger.LogWarning("Refused an upload: {Reason}", refusal);
                return refusal;
            }

            // A fresh attempt (e.g. the gateway sending again after a failed one) starts clean.
            File.Delete(store.IncomingPath(sha256, PayloadAssembly.FailedExtension));
            File.Create(store.IncomingPath(sha256, DataExtension)).Dispose();
            var header = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(header, totalBytes);
            var lengthFile = store.IncomingPath(sha256, LengthExtension);
            var temporary = $"{lengthFile}.tmp";
            File.WriteAllBytes(temporary, header);
            File.Move(temporary, lengthFile, overwrite: true);
            return null;
        }
    }

    /// <summary>
    /// Appends what <paramref name="body"/> holds, never past <paramref name="totalBytes"/>, and returns the bytes held
    /// after it. The file is flushed to disk before this returns, cut off or not, so what a later status reports survives
    /// a crash of the machine; a torn tail after a power cut fails the hash and the payload is sent again.
    /// </summary>
    private static async Task<long> WriteAsync(string data, long offset, long totalBytes, Stream body, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        await using var file = new FileStream(data, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1);
        file.Position = offset;
        long held = offset;
        try
        {
            while (held < totalBytes)
            {
                int read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, totalBytes - held)), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                await file.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
                held += read;
            }
        }
        catch (Exception error) when (error is OperationCanceledException or IOException)
        {
            // The gateway's connection broke off: keep what arrived, so its next attempt resumes here.
        }
        finally
        {
            file.Flush(flushToDisk: true);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return held;
    }

    private UploadResult Complete(string sha256, string data, long totalBytes)
    {
        string actual;
        using (var file = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            actual = Sha256Hex.Of(file);
        }

        File.Delete(store.IncomingPath(sha256, LengthExtension));
        if (actual != sha256)
        {
            File.Delete(data);
            var reason = $"The {totalBytes} bytes uploaded as payload {sha256} hash to {actual}: they were changed on the way or on the gateway's disk, so the payload was discarded.";
            IncomingTransfers.RecordFailure(store, sha256, reason);
            arrivals.Settled(sha256);
            logger.LogWarning("Payload upload failed: {Reason}", reason);
            return new UploadResult(UploadOutcome.Discarded, new UploadStatus(0, false, null), reason);
        }

        store.Adopt(data, sha256);
        arrivals.Settled(sha256);
        logger.LogInformation("Received payload {Sha256} ({Bytes} bytes) by upload", sha256, totalBytes);
        return new UploadResult(UploadOutcome.Completed, new UploadStatus(totalBytes, true, totalBytes), null);
    }
}
