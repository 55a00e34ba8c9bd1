using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Vault;

/// <summary>
/// The drop folders <c>STATE/vault/drop/KIND/</c>: factory IT copies files in, and each is imported once its size and
/// write time have stayed the same between two scans (so a file still being copied is left alone). Stored files are
/// removed from the drop folder, malformed ones moved to quarantine. Names starting with '.' (the temporary files of
/// rsync, scp and editors) and photo label sidecars are never taken on their own.
/// </summary>
/// <param name="importer">The importer, shared with <c>fedctl vault import</c>.</param>
public sealed class VaultDropFolder(VaultImporter importer)
{
    private readonly Dictionary<string, (long Length, DateTime Written)> seen = new(StringComparer.Ordinal);

    /// <summary>Scans every kind's drop folder once, imports the files that have settled, then applies retention.</summary>
    /// <returns>What happened to each file imported in this scan.</returns>
    public IReadOnlyList<VaultImportResult> Scan()
    {
        var results = new List<VaultImportResult>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kind in VaultKinds.All)
        {
            var folder = importer.Store.DropDirectory(kind);
            Directory.CreateDirectory(folder);
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.') || VaultImporter.IsSidecar(file))
                {
                    continue;
                }

                var info = new FileInfo(file);
                if (!info.Exists)
                {
                    continue;
                }

                var now = (info.Length, info.LastWriteTimeUtc);
                present.Add(file);
                if (seen.TryGetValue(file, out var before) && before == now)
                {
                    seen.Remove(file);
                    results.Add(importer.Import(kind, file, label: null, fromDropFolder: true));
                    present.Remove(file);
                }
                else
                {
                    seen[file] = now;
                }
            }
        }

        foreach (var gone in seen.Keys.Where(file => !present.Contains(file)).ToList())
        {
            seen.Remove(gone);
        }

        if (results.Count > 0)
        {
            importer.Store.ApplyRetention();
        }

        return results;
    }
}

/// <summary>Scans the drop folders every <see cref="VaultOptions.PollSeconds"/> and applies retention, for as long as the gateway runs.</summary>
/// <param name="dropFolder">The drop folder.</param>
/// <param name="store">The vault, for its poll interval and retention.</param>
/// <param name="logger">Where each import and quarantine is logged.</param>
public sealed class VaultDropFolderService(VaultDropFolder dropFolder, VaultStore store, ILogger<VaultDropFolderService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Polling rather than FileSystemWatcher: it sees files copied in while the gateway was down, works on network
        // mounts, and cannot overflow its event buffer under a burst of files.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(store.Options.PollSeconds));
        do
        {
            try
            {
                foreach (var result in dropFolder.Scan())
                {
                    if (result.Outcome == VaultImportOutcome.Quarantined)
                    {
                        logger.LogWarning("Quarantined {Source} as {Kind}: {Problem} ({QuarantinedAs})", result.Source, result.Kind.ToName(), result.Problem, result.QuarantinedAs);
                    }
                    else
                    {
                        logger.LogInformation("{Outcome} {Source} as {Kind} {Sha256}", result.Outcome, result.Source, result.Kind.ToName(), result.Entry!.Sha256);
                    }
                }

                foreach (var deletion in store.ApplyRetention())
                {
                    logger.LogInformation("Retention deleted {Sha256} ({Kind}, {Bytes} bytes): {Reason}", deletion.Sha256, deletion.Kind.ToName(), deletion.Bytes, deletion.Reason);
                }
            }
            catch (IOException error)
            {
                // A file vanished or was locked mid-scan; the next scan sees the folder afresh.
                logger.LogWarning(error, "Vault drop folder scan failed; retrying at the next poll");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
