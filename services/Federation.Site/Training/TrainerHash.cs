using System.Text;
using Federation.Trust;

namespace Federation.Site.Training;

/// <summary>
/// The SHA-256 that names an external trainer in a policy's <c>trainers</c> list: the hash of the <c>sha256sum</c>
/// listing of its files (docs/FORMATS.md, "Trainer hash"), so factory IT computes it with
/// <c>sha256sum $(find FOLDER -maxdepth 1 -type f | LC_ALL=C sort) | sha256sum</c>.
/// </summary>
public static class TrainerHash
{
    /// <summary>
    /// The hash over the regular files (not links, not folders) directly in <paramref name="folders"/>: one line
    /// <c>&lt;sha256 hex&gt;␠␠&lt;full path&gt;\n</c> per file, in ordinal order of the full path, UTF-8, hashed.
    /// </summary>
    /// <param name="folders">The trainer's folders (<see cref="ExternalProgram.ProgramFolders"/>).</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string Of(IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var files = folders
            .SelectMany(folder => new DirectoryInfo(folder).EnumerateFiles())
            .Where(file => file.LinkTarget is null)
            .Select(file => file.FullName)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var listing = new StringBuilder();
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            listing.Append(Sha256Hex.Of(stream)).Append("  ").Append(file).Append('\n');
        }

        return Sha256Hex.Of(Encoding.UTF8.GetBytes(listing.ToString()));
    }
}
