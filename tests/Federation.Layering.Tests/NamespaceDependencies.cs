using System.Text.RegularExpressions;

namespace Federation.Layering.Tests;

/// <summary>
/// Which namespaces a source file's namespace depends on, read from the text: its using
/// directives, fully or partly qualified names, and the names of types declared in an enclosing
/// namespace (C# sees those without a using, so they are the easiest dependency to miss).
/// A using that is not needed counts too: remove it rather than explain it.
/// </summary>
public static partial class NamespaceDependencies
{
    /// <summary>The namespace a file declares, or null for top-level statements.</summary>
    public static string? DeclaredNamespace(string text) =>
        NamespaceDeclaration().Match(StripCommentsAndStrings(text)) is { Success: true } match ? match.Groups[1].Value : null;

    /// <summary>The type names a file declares (classes, records, structs, interfaces, enums, delegates).</summary>
    public static IEnumerable<string> DeclaredTypes(string text) =>
        TypeDeclaration().Matches(StripCommentsAndStrings(text)).Select(match => match.Groups[1].Value);

    /// <summary>
    /// The namespaces, among <paramref name="known"/>, that a file in namespace <paramref name="own"/>
    /// depends on; <paramref name="typesByNamespace"/> says which types each known namespace declares.
    /// </summary>
    public static IReadOnlySet<string> Of(string text, string own, IReadOnlySet<string> known, IReadOnlyDictionary<string, IReadOnlySet<string>> typesByNamespace)
    {
        var code = StripCommentsAndStrings(text);
        var found = new HashSet<string>(StringComparer.Ordinal);

        foreach (Match match in UsingDirective().Matches(code))
        {
            AddLongestKnownPrefix(match.Groups[1].Value, known, found);
        }

        foreach (Match match in QualifiedName().Matches(code))
        {
            var name = match.Value;
            AddLongestKnownPrefix(name, known, found);

            // A partly qualified name (Payloads.PayloadOptions) resolves against the file's own
            // namespace and each enclosing one.
            foreach (var enclosing in EnclosingNamespaces(own).Prepend(own))
            {
                AddLongestKnownPrefix($"{enclosing}.{name}", known, found, minimumLength: enclosing.Length + 2);
            }
        }

        var identifiers = Identifier().Matches(code).Select(match => match.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var enclosing in EnclosingNamespaces(own).Where(known.Contains))
        {
            if (typesByNamespace.TryGetValue(enclosing, out var types) && types.Overlaps(identifiers))
            {
                found.Add(enclosing);
            }
        }

        found.Remove(own);
        return found;
    }

    /// <summary>The namespaces enclosing <paramref name="own"/>, innermost first, without itself.</summary>
    private static IEnumerable<string> EnclosingNamespaces(string own)
    {
        for (var dot = own.LastIndexOf('.'); dot > 0; dot = own.LastIndexOf('.', dot - 1))
        {
            yield return own[..dot];
        }
    }

    private static void AddLongestKnownPrefix(string name, IReadOnlySet<string> known, HashSet<string> found, int minimumLength = 1)
    {
        for (var candidate = name; candidate.Length >= minimumLength; )
        {
            if (known.Contains(candidate))
            {
                found.Add(candidate);
                return;
            }

            var dot = candidate.LastIndexOf('.');
            if (dot < 0)
            {
                return;
            }

            candidate = candidate[..dot];
        }
    }

    // Comments and string literals name namespaces without depending on them.
    private static string StripCommentsAndStrings(string text) =>
        OrdinaryString().Replace(RawString().Replace(Comment().Replace(text, " "), "\"\""), "\"\"");

    [GeneratedRegex(@"//[^\n]*|/\*[\s\S]*?\*/")]
    private static partial Regex Comment();

    [GeneratedRegex("\"\"\"[\\s\\S]*?\"\"\"")]
    private static partial Regex RawString();

    [GeneratedRegex("@\"(?:\"\"|[^\"])*\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])'")]
    private static partial Regex OrdinaryString();

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum|delegate\s+[\w<>?,\s]+?)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"\b[A-Z]\w*(?:\.[A-Z]\w*)+")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Identifier();
}
