using System.Text;
using Federation.Trust.Transparency;

namespace Federation.Audit.Bundles;

/// <summary>What check 1 established: the log key used, and the checkpoint if it is authentic.</summary>
/// <param name="LogKey">The verifier key the checkpoint was checked against, or null when there was none.</param>
/// <param name="Pinned">Whether that key was pinned by the auditor.</param>
/// <param name="Checkpoint">The checkpoint, when it is validly signed by that key; otherwise null.</param>
/// <param name="UnverifiedSize">The size a checkpoint that is not authentic claims: only how many events to expect.</param>
internal sealed record CheckpointResult(NoteVerifier? LogKey, bool Pinned, Checkpoint? Checkpoint, long? UnverifiedSize)
{
    /// <summary>How many events the bundle should hold, authentic or not.</summary>
    public long? Size => Checkpoint?.Size ?? UnverifiedSize;
}

/// <summary>(1) The checkpoint is a signed note by the log key, from the origin the key is named after.</summary>
internal static class CheckpointCheck
{
    public static CheckpointResult Run(string directory, string? pinnedLogKey, Findings findings)
    {
        var (logKey, pinned) = ReadLogKey(directory, pinnedLogKey, findings);
        var path = Path.Combine(directory, AuditBundle.CheckpointFile);
        if (!File.Exists(path))
        {
            findings.Add(1, AuditBundle.CheckpointFile, "is missing: nothing says which history the log signed.");
            return new CheckpointResult(logKey, pinned, null, null);
        }

        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);
        if (logKey is not null)
        {
            if (SignedNote.TryOpen(bytes, [logKey], out _, out var noteError))
            {
                if (Checkpoint.TryOpenSigned(text, logKey.Name, [logKey], out var checkpoint, out var error))
                {
                    return new CheckpointResult(logKey, pinned, checkpoint, null);
                }

                findings.Add(1, AuditBundle.CheckpointFile, $"is signed by the log key but is not a checkpoint of origin \"{logKey.Name}\": {error}.");
            }
            else
            {
                findings.Add(1, AuditBundle.CheckpointFile, $"is not a note validly signed by the log key {logKey.Name}+{logKey.KeyHash:x8} ({(pinned ? "pinned" : "from " + AuditBundle.LogKeyFile)}): {noteError}.");
            }
        }

        // Not authentic: its size only tells how many events to expect; its root is not compared.
        var split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
        long? size = split >= 0 && Checkpoint.TryParse(text[..(split + 1)], out var unverified, out _) ? unverified.Size : null;
        return new CheckpointResult(logKey, pinned, null, size);
    }

    private static (NoteVerifier? Key, bool Pinned) ReadLogKey(string directory, string? pinnedLogKey, Findings findings)
    {
        var keyFile = Path.Combine(directory, AuditBundle.LogKeyFile);
        var bundleKey = File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim() : null;
        string keyText;
        string keySource;
        if (pinnedLogKey is not null)
        {
            keyText = File.Exists(pinnedLogKey) ? File.ReadAllText(pinnedLogKey).Trim() : pinnedLogKey.Trim();
            keySource = "--log-key";
            if (bundleKey is not null && bundleKey != keyText)
            {
                findings.Warnings.Add($"{AuditBundle.LogKeyFile} in the bundle holds another key ({bundleKey}); it is ignored, the pinned key is used.");
            }
        }
        else if (bundleKey is not null)
        {
            keyText = bundleKey;
            keySource = AuditBundle.LogKeyFile;
            findings.Warnings.Add(
                $"No --log-key given: the checkpoint is checked against {AuditBundle.LogKeyFile} from the bundle itself (trust on first use). " +
                "Whoever could rewrite the bundle could have replaced that key too; pin the aggregator's verifier key, obtained independently, with --log-key.");
        }
        else
        {
            findings.Add(1, AuditBundle.LogKeyFile, "is missing and no --log-key was given: there is no key to check the checkpoint against.");
            return (null, false);
        }

        if (!NoteVerifier.TryParse(keyText, out var logKey, out var keyError))
        {
            findings.Add(1, keySource, $"is not a note verifier key (name+keyhash+base64): {keyError}.");
            return (null, pinnedLogKey is not null);
        }

        return (logKey, pinnedLogKey is not null);
    }
}
