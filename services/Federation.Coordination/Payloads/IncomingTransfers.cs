using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Payloads;

/// <summary>
/// What the two ways a payload arrives (uploaded over HTTPS by <see cref="PayloadUploads"/>, or in bus chunks from
/// gateways of earlier releases by <see cref="PayloadAssembly"/>) share in <see cref="PayloadStore.IncomingDirectory"/>:
/// the space unfinished transfers claim, the sweep of abandoned ones, and the note that says why one failed.
/// </summary>
internal static class IncomingTransfers
{
    /// <summary>
    /// The extensions of the files that track an unfinished transfer; each such file starts with the transfer's
    /// announced total length as a little-endian int64.
    /// </summary>
    private static readonly string[] TrackingExtensions = [PayloadAssembly.ChunksExtension, PayloadUploads.LengthExtension];

    /// <summary>The bytes claimed by unfinished transfers of either kind: the sum of their announced totals.</summary>
    public static long ClaimedBytes(PayloadStore store)
    {
        long claimed = 0;
        foreach (var extension in TrackingExtensions)
        {
            foreach (var path in Directory.EnumerateFiles(store.IncomingDirectory, "*" + extension))
            {
                claimed += ReadTotal(path);
            }
        }

        return claimed;
    }

    /// <summary>Why a new transfer of <paramref name="totalBytes"/> may not start now, or null when it may.</summary>
    public static string? RefusalOfNew(PayloadStore store, PayloadOptions options, string sha256, long totalBytes) =>
        TooLarge(options, sha256, totalBytes) ?? NoRoom(store, options, sha256, totalBytes);

    /// <summary>Why a payload of <paramref name="totalBytes"/> is never accepted, or null.</summary>
    public static string? TooLarge(PayloadOptions options, string sha256, long totalBytes) =>
        totalBytes > options.MaxPayloadBytes
            ? $"Payload {sha256} announced {totalBytes} bytes; at most {options.MaxPayloadBytes} are accepted (Aggregator:Payloads:MaxPayloadBytes)."
            : null;

    /// <summary>Why a payload of <paramref name="totalBytes"/> does not fit beside the unfinished transfers now (later it may), or null.</summary>
    public static string? NoRoom(PayloadStore store, PayloadOptions options, string sha256, long totalBytes)
    {
        long inFlight = ClaimedBytes(store);
        return inFlight + totalBytes > options.MaxIncomingBytes
            ? $"Payload {sha256} ({totalBytes} bytes) would bring unfinished transfers to {inFlight + totalBytes} bytes; at most {options.MaxIncomingBytes} are allowed (Aggregator:Payloads:MaxIncomingBytes)."
            : null;
    }

    /// <summary>
    /// Deletes every file of a transfer (or a failure note) untouched for longer than the age limit. Ages are the file
    /// system's (last write times against its clock), not the coordinator's <see cref="TimeProvider"/>.
    /// </summary>
    public static void RemoveStale(PayloadStore store, TimeSpan maxAge, ILogger logger)
    {
        var oldest = DateTime.UtcNow - maxAge;
        foreach (var path in Directory.EnumerateFiles(store.IncomingDirectory))
        {
            if (File.GetLastWriteTimeUtc(path) < oldest)
            {
                logger.LogWarning("Deleting {File}: an unfinished payload transfer older than {Age}", Path.GetFileName(path), maxAge);
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// Writes the note that says why the transfer of <paramref name="sha256"/> failed (read by
    /// <see cref="PayloadStore.AssemblyFailure"/>, so the contribution naming it is rejected with that reason).
    /// </summary>
    public static void RecordFailure(PayloadStore store, string sha256, string reason)
    {
        var failed = store.IncomingPath(sha256, PayloadAssembly.FailedExtension);
        var temporary = $"{failed}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, reason);
        File.Move(temporary, failed, overwrite: true);
    }

    /// <summary>The total a tracking file announces; 0 for a torn file, which then claims nothing.</summary>
    public static long ReadTotal(string path)
    {
        Span<byte> total = stackalloc byte[8];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        return file.Read(total) == total.Length ? BinaryPrimitives.ReadInt64LittleEndian(total) : 0;
    }
}
