using Federation.Site.Training;

namespace Federation.Gateway.Tests;

/// <summary>Files of the repository the tests run, such as the reference PyTorch trainers under trainers/pytorch.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding Federation.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The reference PyTorch programs in trainers/pytorch, run as the model team runs them (e.g. <c>--init</c>).</summary>
    public static PyTorchTrainers Trainers { get; } = new(Path.Combine(Root, "trainers", "pytorch"));

    /// <summary>trainers/pytorch/photo_cnn.py.</summary>
    public static string PhotoCnn => Trainers.PhotoCnn;

    /// <summary>trainers/pytorch/force_cnn.py.</summary>
    public static string ForceCnn => Trainers.ForceCnn;

    /// <summary>Debian's Python, which has python3-torch (PATH's python3 may not).</summary>
    public const string Python = PyTorchTrainers.Python;

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
