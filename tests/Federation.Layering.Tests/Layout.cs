namespace Federation.Layering.Tests;

/// <summary>What a project is, which decides what it may reference.</summary>
public enum ProjectKind
{
    /// <summary>contracts/: wire messages and events; references no service.</summary>
    Contracts,

    /// <summary>A library under services/.</summary>
    Library,

    /// <summary>A process under services/ (an Exe or a web host); nothing but tests references it.</summary>
    Host,

    /// <summary>bench/: a tool that measures libraries.</summary>
    Bench,

    /// <summary>tests/: may reference anything.</summary>
    Test,
}

/// <summary>One .csproj: its name, kind and the projects it references (by name).</summary>
public sealed record Project(string Name, ProjectKind Kind, IReadOnlyList<string> References);

/// <summary>One source file: where it is, its project, and the namespace it declares.</summary>
/// <param name="Path">Repository-relative path, for messages.</param>
/// <param name="Project">The project it belongs to.</param>
/// <param name="Text">The file's text.</param>
public sealed record SourceFile(string Path, string Project, string Text);

/// <summary>The repository as the layering rules see it.</summary>
public sealed record Layout(IReadOnlyList<Project> Projects, IReadOnlyList<SourceFile> Sources);
