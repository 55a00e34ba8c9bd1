namespace Federation.Site.Training;

/// <summary>
/// One external-trainer run's files: its input folder (read-only to a confined program) with the models, data list,
/// plan and the vault entries it is given, and its output folder, the only one it may write. The whole folder is
/// deleted after the run.
/// </summary>
/// <param name="Root">The run's folder.</param>
/// <param name="Input">Models, data list, plan and the entries given (under <c>entries/</c>).</param>
/// <param name="Output">Where the program writes.</param>
internal sealed record RunFolder(string Root, string Input, string Output)
{
    /// <summary>Creates a new run folder under <paramref name="workDirectory"/>.</summary>
    public static RunFolder Create(string workDirectory, string purpose)
    {
        var root = Path.Combine(Path.GetFullPath(workDirectory), $"{purpose}-{Guid.NewGuid():N}");
        var folder = new RunFolder(root, Path.Combine(root, "input"), Path.Combine(root, "output"));
        Directory.CreateDirectory(Path.Combine(folder.Input, "entries"));
        Directory.CreateDirectory(folder.Output);
        return folder;
    }

    /// <summary>
    /// Copies a vault object into the input folder — all of the vault a confined program sees — and returns the path
    /// the program reads it at. A copy, not a link: .NET has no hard-link API, and a symbolic link would point at the
    /// vault, which the sandbox does not show.
    /// </summary>
    public string Entry(string objectPath, string sha256)
    {
        var path = Path.Combine(Input, "entries", sha256);
        if (!File.Exists(path))
        {
            File.Copy(objectPath, path);
        }

        return path;
    }
}
