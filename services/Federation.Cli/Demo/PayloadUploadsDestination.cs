using Federation.Coordination.Payloads;
using Federation.Site.Outbox;

namespace Federation.Cli.Demo;

/// <summary>
/// For gateways that run inside the aggregator's process (the demo, embedded tests): hands large updates straight to
/// the aggregator's <see cref="PayloadUploads"/> instead of over HTTP, with the same resume, hash check and limits.
/// </summary>
/// <param name="uploads">The aggregator's payload uploads.</param>
public sealed class PayloadUploadsDestination(PayloadUploads uploads) : IPayloadDestination
{
    /// <inheritdoc />
    public async Task SendAsync(string sha256, string file, CancellationToken cancellationToken)
    {
        var status = uploads.StatusOf(sha256);
        if (status.Complete)
        {
            return;
        }

        await using var payload = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan) { Position = status.Offset };
        var result = await uploads.AppendAsync(sha256, status.Offset, payload.Length, payload, cancellationToken);
        if (result.Outcome is not (UploadOutcome.Completed or UploadOutcome.Discarded))
        {
            throw new IOException($"Handing payload {sha256} to the aggregator stopped at byte {result.Status.Offset}: {result.Outcome}. {result.Reason}");
        }
    }
}
