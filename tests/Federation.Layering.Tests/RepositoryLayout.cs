using System.Xml.Linq;

namespace Federation.Layering.Tests;

/// <summary>Reads the layout of the repository this test was built from: its projects and source files.</summary>
public static class RepositoryLayout
{
    private static readonly string[] ProductFolders = ["contracts", "services", "bench"];

    /// <summary>The folder holding Federation.sln above the test's output.</summary>
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Federation.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No folder holding Federation.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Every project under contracts/, services/, bench/ and tests/, and the product's source files.</summary>
    public static Layout Read(string root)
    {
        var projects = new List<Project>();
        var sources = new List<SourceFile>();
        foreach (var folder in ProductFolders.Append("tests"))
        {
            foreach (var csproj in Directory.EnumerateFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories).Where(path => !IsBuildOutput(root, path)))
            {
                var project = ReadProject(folder, csproj);
                projects.Add(project);
                if (project.Kind == ProjectKind.Test)
                {
                    continue;
                }

                var directory = Path.GetDirectoryName(csproj)!;
                sources.AddRange(Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
                    .Where(path => !IsBuildOutput(directory, path))
                    .Select(path => new SourceFile(Path.GetRelativePath(root, path), project.Name, File.ReadAllText(path))));
            }
        }

        return new Layout(projects, sources);
    }

    private static Project ReadProject(string folder, string path)
    {
        var document = XDocument.Load(path);
        var sdk = document.Root?.Attribute("Sdk")?.Value ?? "";
        var isExe = document.Descendants("OutputType").Any(element => element.Value.Trim() == "Exe");
        var kind = folder switch
        {
            "contracts" => ProjectKind.Contracts,
            "bench" => ProjectKind.Bench,
            "tests" => ProjectKind.Test,
            _ when isExe || sdk.EndsWith(".Web", StringComparison.Ordinal) => ProjectKind.Host,
            _ => ProjectKind.Library,
        };

        var references = document.Descendants("ProjectReference")
            .Select(reference => Path.GetFileNameWithoutExtension(reference.Attribute("Include")?.Value.Replace('\\', '/') ?? ""))
            .Where(name => name.Length > 0)
            .ToList();
        return new Project(Path.GetFileNameWithoutExtension(path), kind, references);
    }

    private static bool IsBuildOutput(string root, string path) =>
        Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");
}
