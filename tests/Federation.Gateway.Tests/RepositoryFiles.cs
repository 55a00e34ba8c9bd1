namespace Federation.Gateway.Tests;

/// <summary>Files of the repository the tests run, such as the reference PyTorch trainers under trainers/pytorch.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding Federation.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>trainers/pytorch/photo_cnn.py.</summary>
    public static string PhotoCnn => Path.Combine(Root, "trainers", "pytorch", "photo_cnn.py");

    /// <summary>Debian's Python, which has python3-torch (PATH's python3 may not).</summary>
    public const string Python = "/usr/bin/python3";

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Federation.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Federation.sln above {AppContext.BaseDirectory}.");
    }
}
