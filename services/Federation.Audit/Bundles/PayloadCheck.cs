using System.Security.Cryptography;

namespace Federation.Audit.Bundles;

/// <summary>(6) Every payload file hashes to its name; every payload the events name is present, with its stated length.</summary>
internal sealed class PayloadCheck(string directory, Findings findings, Action<string, long, long> progress)
{
    private readonly Dictionary<string, (long? Bytes, string Where)> referenced = new(StringComparer.Ordinal);

    /// <summary>Payload files that hash to their names, or null when the bundle holds no payloads folder.</summary>
    public int? Checked { get; private set; }

    /// <summary>Notes that the event field at <paramref name="where"/> names the blob <paramref name="sha256"/>.</summary>
    public void Reference(string sha256, long? bytes, string where)
    {
        if (!AuditBundle.IsSha256(sha256))
        {
            findings.Add(6, where, $"'{sha256}' is not a SHA-256 digest (64 lowercase hex digits).");
            return;
        }

        referenced.TryAdd(sha256, (bytes, where));
    }

    public void Run()
    {
        var folder = Path.Combine(directory, AuditBundle.PayloadsFolder);
        if (!Directory.Exists(folder))
        {
            return;
        }

        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
        var names = files.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        var totalBytes = files.Sum(file => new FileInfo(file).Length);
        long doneBytes = 0;
        progress(BundleVerifier.PayloadsPhase, 0, totalBytes);
        Checked = 0;
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var where = $"{AuditBundle.PayloadsFolder}/{name}";
            long length;
            string actual;
            using (var stream = File.OpenRead(file))
            {
                length = stream.Length;
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }

            doneBytes += length;
            progress(BundleVerifier.PayloadsPhase, doneBytes, totalBytes);
            if (!AuditBundle.IsSha256(name))
            {
                findings.Add(6, where, "is not named by a SHA-256 (64 lowercase hex digits).");
            }
            else if (actual != name)
            {
                findings.Add(6, where, $"hashes to {actual}, not to its name: its bytes were changed.");
            }
            else
            {
                present[name] = length;
                Checked++;
            }
        }

        foreach (var (sha256, reference) in referenced)
        {
            var where = $"{AuditBundle.PayloadsFolder}/{sha256}";
            if (!present.TryGetValue(sha256, out var length))
            {
                if (!names.Contains(sha256))
                {
                    findings.Add(6, where, $"is missing, but {reference.Where} names it.");
                }
            }
            else if (reference.Bytes is { } bytes && bytes != length)
            {
                findings.Add(6, where, $"is {length} bytes, but {reference.Where} says {bytes} bytes.");
            }
        }
    }
}
