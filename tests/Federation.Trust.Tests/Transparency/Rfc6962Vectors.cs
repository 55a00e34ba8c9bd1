using System.Text.Json;

namespace Federation.Trust.Tests.Transparency;

/// <summary>
/// The transparency-dev/merkle proof vectors copied to shared/testvectors/rfc6962
/// (see its README.md), found relative to the repository root.
/// </summary>
public static class Rfc6962Vectors
{
    private const string MissingPrefix = "MISSING: ";

    /// <summary>The vector folder, or why it could not be found.</summary>
    public static (string? Folder, string? Problem) Locate()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Federation.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            return (null, $"no folder holding Federation.sln above {AppContext.BaseDirectory}");
        }

        var folder = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "testvectors", "rfc6962"));
        return Directory.Exists(folder)
            ? (folder, null)
            : (null, $"the RFC 6962 vector folder {folder} does not exist");
    }

    /// <summary>Every vector file, relative to the folder ("inclusion/1/happy-path.json").</summary>
    public static IReadOnlyList<string> Files(string kind)
    {
        var (folder, _) = Locate();
        if (folder is null || !Directory.Exists(Path.Combine(folder, kind)))
        {
            return [];
        }

        return Directory.EnumerateFiles(Path.Combine(folder, kind), "*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    // A theory with no rows would pass without checking anything; a missing folder
    // becomes one row that fails with the reason instead.
    public static TheoryData<string> Inclusion => Rows("inclusion");

    public static TheoryData<string> Consistency => Rows("consistency");

    public static JsonElement Load(string relativePath)
    {
        if (relativePath.StartsWith(MissingPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(relativePath[MissingPrefix.Length..]);
        }

        var (folder, problem) = Locate();
        if (folder is null)
        {
            throw new InvalidOperationException(problem);
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, relativePath)));
        return document.RootElement.Clone();
    }

    // Sizes and indices are uint64 in the vectors; "leafIdx sub @1" is 0 - 1 wrapped to
    // 2^64 - 1. Reinterpreted as long that is -1, the value the case is about.
    public static long Int64(JsonElement vector, string name)
    {
        var element = vector.GetProperty(name);
        return element.TryGetInt64(out var value) ? value : unchecked((long)element.GetUInt64());
    }

    public static byte[] Bytes(JsonElement vector, string name) =>
        Convert.FromBase64String(vector.GetProperty(name).GetString() ?? "");

    // A JSON null proof is Go's nil slice: the empty proof.
    public static IReadOnlyList<byte[]> Proof(JsonElement vector) =>
        vector.GetProperty("proof").ValueKind == JsonValueKind.Null
            ? []
            : vector.GetProperty("proof").EnumerateArray().Select(e => Convert.FromBase64String(e.GetString() ?? "")).ToList();

    private static TheoryData<string> Rows(string kind)
    {
        var (_, problem) = Locate();
        var files = Files(kind);
        return files.Count > 0
            ? new TheoryData<string>(files)
            : new TheoryData<string>([$"{MissingPrefix}no {kind} vectors ({problem ?? "the folder is empty"})"]);
    }
}
