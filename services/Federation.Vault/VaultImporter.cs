using System.Text;

namespace Federation.Vault;

/// <summary>How an import ended for one file.</summary>
public enum VaultImportOutcome
{
    /// <summary>Validated and stored.</summary>
    Stored,

    /// <summary>Valid, and the same bytes were already stored; stored once.</summary>
    AlreadyStored,

    /// <summary>Malformed; put in quarantine with its reason, nothing of it stored.</summary>
    Quarantined,
}

/// <summary>What happened to one imported file.</summary>
/// <param name="Source">The file.</param>
/// <param name="Kind">The kind it was imported as.</param>
/// <param name="Outcome">Stored, already stored, or quarantined.</param>
/// <param name="Entry">The stored entry, unless quarantined.</param>
/// <param name="Problem">Why it was quarantined.</param>
/// <param name="QuarantinedAs">Its path in quarantine.</param>
public sealed record VaultImportResult(string Source, VaultKind Kind, VaultImportOutcome Outcome, VaultEntry? Entry, VaultProblem? Problem, string? QuarantinedAs);

/// <summary>
/// The one way raw data enters the vault, for <c>fedctl vault import</c> and the drop folder alike: each file is read
/// whole, validated whole, and then either stored whole or quarantined whole, so an import is atomic per file and a
/// failing file never touches what is already stored.
/// </summary>
/// <param name="store">The vault.</param>
public sealed class VaultImporter(VaultStore store)
{
    /// <summary>
    /// A label sidecar file is the labelled file's name with this appended, e.g. <c>weld-17.png.label</c> for a photo or
    /// <c>press-0001.csv.label</c> for a force curve.
    /// </summary>
    public const string LabelSidecarSuffix = ".label";

    /// <summary>The vault.</summary>
    public VaultStore Store { get; } = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Imports files given on the command line, then applies retention. Sources are copied, never moved or changed.</summary>
    /// <param name="kind">What they are.</param>
    /// <param name="paths">Files, or folders whose files (recursively, sidecars aside) are imported.</param>
    /// <param name="label">A label for every photo, overriding sidecars and folder names.</param>
    /// <param name="progress">Told (imported, total) after each file; the folders are listed first so the total is known.</param>
    /// <param name="conditions">Conditions for every file (from <see cref="VaultConditions.FromOptions"/>), overriding conditions sidecars.</param>
    /// <returns>One result per file, in order.</returns>
    public IReadOnlyList<VaultImportResult> ImportAll(
        VaultKind kind, IEnumerable<string> paths, string? label = null, Action<long, long>? progress = null, IReadOnlyList<string>? conditions = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = paths.SelectMany(path => Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(file => !IsSidecar(file)).Order(StringComparer.Ordinal)
            : (IEnumerable<string>)[path]).ToList();
        var results = new List<VaultImportResult>();
        foreach (var file in files)
        {
            results.Add(Import(kind, file, label, fromDropFolder: false, conditions));
            progress?.Invoke(results.Count, files.Count);
        }

        Store.ApplyRetention();
        return results;
    }

    /// <summary>Imports one file.</summary>
    /// <param name="kind">What it is.</param>
    /// <param name="path">The file.</param>
    /// <param name="label">
    /// A photo's or force file's label; when null, its sidecar's, else (photos only) its folder's name. Force files may
    /// have no label.
    /// </param>
    /// <param name="fromDropFolder">
    /// The file is in the drop folder: a malformed one is moved to quarantine, a stored one is deleted, and a photo
    /// directly in <c>drop/photos/</c> has no folder label.
    /// </param>
    /// <param name="conditions">The file's conditions; when null, its conditions sidecar's, else none.</param>
    /// <returns>What happened.</returns>
    public VaultImportResult Import(VaultKind kind, string path, string? label, bool fromDropFolder, IReadOnlyList<string>? conditions = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var source = Path.GetFullPath(path);
        var sidecar = source + LabelSidecarSuffix;
        var conditionsSidecar = source + VaultConditions.SidecarSuffix;
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"No file {source} to import.", source);
        }

        VaultImportResult result;
        var size = new FileInfo(source).Length;
        if (size > Store.Options.MaxFileBytes)
        {
            result = Quarantine(kind, source, new VaultProblem(null, $"the file is {size} bytes, over Gateway:Vault:MaxFileBytes = {Store.Options.MaxFileBytes}"), fromDropFolder);
        }
        else
        {
            var content = File.ReadAllBytes(source);
            string? fileLabel = null;
            VaultProblem? problem = null;
            if (kind is VaultKind.Photos or VaultKind.Force)
            {
                fileLabel = Label(kind, source, sidecar, label, fromDropFolder, out problem);
            }

            if (problem is null && conditions is null && File.Exists(conditionsSidecar))
            {
                conditions = VaultConditions.ReadSidecar(conditionsSidecar, out var conditionsProblem);
                problem = conditionsProblem is null ? null : new VaultProblem(null, conditionsProblem);
            }

            var described = problem is null ? VaultValidator.Validate(kind, Path.GetFileName(source), content, fileLabel, out problem) : null;
            if (described is not null)
            {
                described = described with { Conditions = conditions ?? [] };
            }

            if (described is null)
            {
                result = Quarantine(kind, source, problem!, fromDropFolder);
            }
            else
            {
                var (entry, stored) = Store.Store(kind, Path.GetFileName(source), content, described);
                result = new VaultImportResult(source, kind, stored ? VaultImportOutcome.Stored : VaultImportOutcome.AlreadyStored, entry, null, null);
                if (fromDropFolder)
                {
                    File.Delete(source);
                }
            }
        }

        if (fromDropFolder)
        {
            foreach (var (file, suffix) in new[] { (sidecar, LabelSidecarSuffix), (conditionsSidecar, VaultConditions.SidecarSuffix) }.Where(pair => File.Exists(pair.Item1)))
            {
                if (result.QuarantinedAs is { } quarantined)
                {
                    File.Move(file, quarantined + suffix);
                }
                else
                {
                    File.Delete(file);
                }
            }
        }

        return result;
    }

    /// <summary>Whether <paramref name="path"/> is a label or conditions sidecar rather than data.</summary>
    /// <param name="path">A file.</param>
    public static bool IsSidecar(string path) =>
        path.EndsWith(LabelSidecarSuffix, StringComparison.Ordinal) || path.EndsWith(VaultConditions.SidecarSuffix, StringComparison.Ordinal);

    private VaultImportResult Quarantine(VaultKind kind, string source, VaultProblem problem, bool move) =>
        new(source, kind, VaultImportOutcome.Quarantined, null, problem, Store.Quarantine(kind, source, problem, move));

    private string? Label(VaultKind kind, string source, string sidecar, string? label, bool fromDropFolder, out VaultProblem? problem)
    {
        problem = null;
        if (label is not null)
        {
            return label;
        }

        if (File.Exists(sidecar))
        {
            try
            {
                var text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(sidecar)).Trim();
                if (text.Contains('\n', StringComparison.Ordinal))
                {
                    problem = new VaultProblem(null, $"the label sidecar {Path.GetFileName(sidecar)} has more than one line");
                    return null;
                }

                return text;
            }
            catch (DecoderFallbackException)
            {
                problem = new VaultProblem(null, $"the label sidecar {Path.GetFileName(sidecar)} is not UTF-8");
                return null;
            }
        }

        // Only a photo is labelled by its folder: force curves are usually filed by machine or date, not by outcome.
        var folder = Path.GetDirectoryName(source)!;
        if (kind != VaultKind.Photos || fromDropFolder && string.Equals(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(Store.DropDirectory(VaultKind.Photos)).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            return null;
        }

        return Path.GetFileName(folder);
    }
}
