using System.Globalization;
using System.Text.Json;
using System.Text;
using Federation.Audit.History;
using Federation.Audit.Bundles;
using Federation.Audit.Transparency;
using Federation.Contracts.Events;
using Federation.Trust.Transparency;
using Federation.Trust;

namespace Federation.Cli.Audit;

/// <summary>
/// Writes an audit bundle (docs/FORMATS.md section 10) from a running aggregator: the signed
/// checkpoint first, then exactly the events it covers (gateway key events included), the log's key and,
/// if asked, every payload the events name. Nothing is checked here beyond what is needed to
/// fetch; <see cref="BundleVerifier"/> checks the bundle offline. Progress lines go to <c>progress</c> (standard error).
/// </summary>
public sealed class BundleExporter(AggregatorClient client, TextWriter progress)
{
    private const int PageSize = 1000;

    /// <summary>Exports to <paramref name="directory"/>, which must be new or empty.</summary>
    /// <returns>What was written.</returns>
    /// <exception cref="CommandFailedException">The folder is not empty, or the aggregator's answers are inconsistent.</exception>
    public async Task<ExportSummary> ExportAsync(string directory, bool withPayloads)
    {
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new CommandFailedException($"{directory} is not empty; export into a new folder so nothing stale ends up in the bundle.");
        }

        Directory.CreateDirectory(directory);

        // The checkpoint first: it fixes which events the bundle holds, however the history grows meanwhile.
        var (checkpointBytes, _) = await client.GetBytesAsync("/api/log/checkpoint");
        var size = CheckpointSize(checkpointBytes);
        await File.WriteAllBytesAsync(Path.Combine(directory, AuditBundle.CheckpointFile), checkpointBytes);

        var payloads = new List<string>();
        var events = new ProgressLines(progress, "exported", "events");
        await FetchEventsAsync(directory, size, withPayloads ? payloads : null, done => events.Report(done, size));

        var (key, _) = await client.GetBytesAsync("/api/log/key");
        await File.WriteAllBytesAsync(Path.Combine(directory, AuditBundle.LogKeyFile), key);
        // No gateways.json: the key events in events.jsonl are the one record of who could sign when.

        long payloadBytes = 0;
        if (withPayloads)
        {
            var folder = Path.Combine(directory, AuditBundle.PayloadsFolder);
            Directory.CreateDirectory(folder);
            var fetched = new ProgressLines(progress, "exported", "payloads");
            foreach (var (sha256, index) in payloads.Select((sha256, index) => (sha256, index)))
            {
                var (bytes, _) = await client.GetBytesAsync($"/api/payloads/{sha256}");
                if (Sha256Hex.Of(bytes) != sha256)
                {
                    throw new CommandFailedException($"The aggregator served payload {sha256} with bytes that hash to {Sha256Hex.Of(bytes)}; its payload store is damaged.");
                }

                await File.WriteAllBytesAsync(Path.Combine(folder, sha256), bytes);
                payloadBytes += bytes.LongLength;
                fetched.Report(index + 1, payloads.Count);
            }
        }

        var signedBy = NoteVerifier.TryParse(Encoding.UTF8.GetString(key).Trim(), out var verifier, out _)
            && Checkpoint.TryOpenSigned(Encoding.UTF8.GetString(checkpointBytes), verifier.Name, [verifier], out _, out _)
                ? verifier.VerifierKey
                : null;
        return new ExportSummary(Path.GetFullPath(directory), size, Encoding.UTF8.GetString(key).Trim(), signedBy is not null, withPayloads ? payloads.Count : null, payloadBytes);
    }

    private async Task FetchEventsAsync(string directory, long size, List<string>? payloads, Action<long> progress)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using var events = new StreamWriter(Path.Combine(directory, AuditBundle.EventsFile), false, new UTF8Encoding(false)) { NewLine = "\n" };
        await using var leaves = new StreamWriter(Path.Combine(directory, AuditBundle.LeafHashesFile), false, new UTF8Encoding(false)) { NewLine = "\n" };
        long next = 1;
        while (next <= size)
        {
            var limit = (int)Math.Min(PageSize, size - next + 1);
            var (page, _) = await client.GetBytesAsync($"/api/events?from={next.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}");
            using var document = JsonDocument.Parse(page);
            if (document.RootElement.GetArrayLength() == 0)
            {
                throw new CommandFailedException($"The aggregator served no event at position {next}, but its checkpoint covers {size}: its history is inconsistent with its own checkpoint.");
            }

            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (next > size)
                {
                    break;
                }

                // Each event exactly as served: the raw JSON text of the array element, one per line.
                var line = element.GetRawText();
                var recorded = AuditBundle.ParseEvent(line);
                if (recorded.Position != next)
                {
                    throw new CommandFailedException($"The aggregator served position {recorded.Position} where {next} was due; positions must have no gaps.");
                }

                await events.WriteLineAsync(line);
                await leaves.WriteLineAsync(Convert.ToHexStringLower(MerkleHash.Leaf(EventLeaf.Bytes(recorded))));
                if (payloads is not null)
                {
                    foreach (var sha256 in ReferencedPayloads(EventHistory.Deserialize(recorded)))
                    {
                        if (seen.Add(sha256))
                        {
                            payloads.Add(sha256);
                        }
                    }
                }

                next++;
            }

            progress(next - 1);
        }
    }

    /// <summary>The payloads an event names: an accepted contribution's update, a version's model and strategy state.</summary>
    public static IEnumerable<string> ReferencedPayloads(IFederationEvent federationEvent) => federationEvent switch
    {
        ContributionAccepted accepted => [accepted.PayloadSha256],
        ModelVersionPublished { StrategyStateSha256: { } state } published => [published.ModelSha256, state],
        ModelVersionPublished published => [published.ModelSha256],
        _ => [],
    };

    private static long CheckpointSize(byte[] signedNote)
    {
        var text = Encoding.UTF8.GetString(signedNote);
        var split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
        return split >= 0 && Checkpoint.TryParse(text[..(split + 1)], out var checkpoint, out _)
            ? checkpoint.Size
            : throw new CommandFailedException("The aggregator's /api/log/checkpoint is not a signed checkpoint note.");
    }
}

/// <summary>What an export wrote.</summary>
/// <param name="Directory">The bundle folder.</param>
/// <param name="Events">Events written: the checkpoint's size.</param>
/// <param name="LogKey">The verifier key the aggregator served (to compare with the one the auditor pins).</param>
/// <param name="CheckpointVerifies">Whether the checkpoint verifies with that key.</param>
/// <param name="Payloads">Payload files written, or null when exported without payloads.</param>
/// <param name="PayloadBytes">Their total size.</param>
public sealed record ExportSummary(string Directory, long Events, string LogKey, bool CheckpointVerifies, int? Payloads, long PayloadBytes);
