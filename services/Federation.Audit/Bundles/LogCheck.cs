using System.Text;
using System.Text.Json;
using Federation.Audit.History;
using Federation.Audit.Transparency;
using Federation.Contracts.Events;
using Federation.EventStore;
using Federation.Trust;
using Federation.Trust.Transparency;

namespace Federation.Audit.Bundles;

/// <summary>
/// (2) The events, one per line, numbered 1..N, in canonical form, whose leaves make the checkpoint's
/// root. Reads each line into a <see cref="BundleEvent"/> for the other checks.
/// </summary>
internal sealed class LogCheck(CheckpointResult checkpoint, string directory, Findings findings)
{
    private static readonly byte[] DataPrefix = "{\"data\":"u8.ToArray();

    private readonly MerkleTree tree = new();
    private readonly StreamOrderCheck streams = new(findings);

    private readonly HashSet<long> changedLines = [];

    /// <summary>The lines that are not the log's events as it signed them, when the leaf hashes could pinpoint them.</summary>
    public IReadOnlySet<long> ChangedLines => changedLines;

    /// <summary>Lines read so far.</summary>
    public long Lines { get; private set; }

    /// <summary>Whether the events' root equals the authentic checkpoint's; known after <see cref="Finish"/>.</summary>
    public bool RootMatches { get; private set; }

    /// <summary>Checks the next line; returns its typed event, or null when it cannot be read as one.</summary>
    public BundleEvent? Read(string line)
    {
        var number = ++Lines;
        var where = $"{AuditBundle.EventsFile} line {number}";
        RecordedEvent recorded;
        try
        {
            recorded = AuditBundle.ParseEvent(line);
        }
        catch (JsonException error)
        {
            findings.Add(2, JsonProblem.Where(where, "", error), $"is not a stored event: {JsonProblem.Describe(error)}");
            // Keeps every later leaf at its index; the root cannot match.
            tree.Append(Encoding.UTF8.GetBytes(line));
            return null;
        }

        if (recorded.Position != number)
        {
            findings.Add(2, $"{where}, field position", $"is {recorded.Position}; line {number} must hold position {number} (positions run 1, 2, 3, … without gaps).");
        }

        where = $"{where} (position {recorded.Position})";
        streams.Check(recorded, where);
        if (!AppendLeaf(recorded, line, where))
        {
            return null;
        }

        try
        {
            return new BundleEvent(recorded, EventHistory.Deserialize(recorded), where);
        }
        catch (InvalidDataException error)
        {
            findings.Add(2, $"{where}, field type", error.Message);
        }
        catch (JsonException error)
        {
            findings.Add(2, JsonProblem.Where(where, "data", error), $"is not a valid {recorded.Type} event: {JsonProblem.Describe(error)}");
        }

        return null;
    }

    private bool AppendLeaf(RecordedEvent recorded, string line, string where)
    {
        var data = Encoding.UTF8.GetBytes(recorded.Data);
        try
        {
            var leaf = EventLeaf.Bytes(recorded);
            tree.Append(leaf);
            // The leaf is canonical JSON whose first member is "data" (it sorts first), so when the
            // stored text reappears right there it is already canonical; only otherwise canonicalize it again.
            var inLeaf = leaf.Length > DataPrefix.Length + data.Length
                && leaf.AsSpan(0, DataPrefix.Length).SequenceEqual(DataPrefix)
                && leaf.AsSpan(DataPrefix.Length, data.Length).SequenceEqual(data)
                && leaf[DataPrefix.Length + data.Length] == (byte)',';
            if (!inLeaf && !JsonCanonicalizer.Canonicalize(data).AsSpan().SequenceEqual(data))
            {
                findings.Add(2, $"{where}, field data", "is not in RFC 8785 canonical form, the only form the aggregator stores.");
            }

            return true;
        }
        catch (JsonException error)
        {
            findings.Add(2, $"{where}, field data", $"is not canonicalizable JSON: {JsonProblem.Describe(error)}");
            tree.Append(Encoding.UTF8.GetBytes(line));
            return false;
        }
    }

    /// <summary>After the last line: there are N events and their root is the checkpoint's.</summary>
    public void Finish()
    {
        if (checkpoint.Size is not { } expected)
        {
            return;
        }

        if (Lines < expected)
        {
            findings.Add(2, AuditBundle.EventsFile, $"holds {Lines} events, but the checkpoint commits to {expected}: events {Lines + 1}–{expected} are missing.");
            return;
        }

        if (Lines > expected)
        {
            findings.Warnings.Add($"{AuditBundle.EventsFile} holds {Lines - expected} events after position {expected}; the checkpoint does not cover them, so only their signatures and references were checked.");
        }

        if (checkpoint.Checkpoint is not { } signed)
        {
            findings.Warnings.Add($"The events were not compared with the checkpoint's root: {AuditBundle.CheckpointFile} is not authentic, so nothing proves which history the log signed.");
            return;
        }

        var root = tree.RootHash(expected);
        RootMatches = root.AsSpan().SequenceEqual(signed.RootHash);
        if (RootMatches)
        {
            return;
        }

        findings.Add(2, $"{AuditBundle.EventsFile} lines 1–{expected} and {AuditBundle.CheckpointFile} line 3",
            $"the RFC 6962 root of these events is {Convert.ToBase64String(root)}, but the signed checkpoint commits to {Convert.ToBase64String(signed.RootHash)}: " +
            "the events are not the history the log signed.");
        LocateChangedEvents(expected, signed.RootHash);
    }

    // The exporter's leaf hashes are not trusted; but if they reproduce the signed root, they are the
    // log's leaves (SHA-256 is collision resistant), and comparing them names the changed events.
    private void LocateChangedEvents(long size, byte[] signedRoot)
    {
        var path = Path.Combine(directory, AuditBundle.LeafHashesFile);
        if (!File.Exists(path))
        {
            findings.Warnings.Add($"The bundle has no {AuditBundle.LeafHashesFile}, so the changed events cannot be pinpointed.");
            return;
        }

        var listed = new MerkleTree();
        foreach (var line in File.ReadLines(path).Take(checked((int)size)))
        {
            if (line.Length != 2 * MerkleHash.Size || !AuditBundle.IsSha256(line))
            {
                break;
            }

            listed.AppendLeafHash(Convert.FromHexString(line));
        }

        if (listed.Size != size || !listed.RootHash(size).AsSpan().SequenceEqual(signedRoot))
        {
            findings.Warnings.Add($"{AuditBundle.LeafHashesFile} does not reproduce the signed root either, so the changed events cannot be pinpointed.");
            return;
        }

        for (long index = 0; index < size; index++)
        {
            var ours = tree.LeafHash(index);
            var logs = listed.LeafHash(index);
            if (!ours.AsSpan().SequenceEqual(logs))
            {
                changedLines.Add(index + 1);
                findings.Add(2, $"{AuditBundle.EventsFile} line {index + 1}",
                    $"is not event {index + 1} as the log signed it: its leaf hash is {Convert.ToHexStringLower(ours)}, the log's is {Convert.ToHexStringLower(logs)} " +
                    $"({AuditBundle.LeafHashesFile} reproduces the signed root, so this is the line that changed).");
            }
        }
    }
}
