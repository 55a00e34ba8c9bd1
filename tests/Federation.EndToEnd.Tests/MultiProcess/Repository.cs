namespace Federation.EndToEnd.Tests.MultiProcess;

/// <summary>Where the repository and the built hosts are, seen from the test assembly.</summary>
internal static class Repository
{
    /// <summary>The folder holding Federation.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built with (Release under make test).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>A host's built assembly, e.g. services/Federation.Aggregator/bin/Release/net10.0/Federation.Aggregator.dll.</summary>
    public static string HostAssembly(string project)
    {
        var path = Path.Combine(Root, "services", project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built; build the solution first (make build).", path);
    }

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
