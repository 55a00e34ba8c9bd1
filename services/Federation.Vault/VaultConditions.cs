using System.Text;
using System.Text.RegularExpressions;

namespace Federation.Vault;

/// <summary>
/// The conditions a vault entry was recorded under, e.g. <c>lighting=dim</c>, <c>surface=wet</c>, <c>shift=night</c>,
/// <c>line=3</c>: read from a sidecar file beside the data (<c>weld-17.png.conditions</c>), one <c>key=value</c> per
/// line, and kept in the vault index. Evaluation reports a metric slice per condition, named exactly as the condition,
/// so a key and a value are short plain words: a key starts with a lowercase letter and holds lowercase letters,
/// digits, <c>-</c> and <c>_</c>; a value holds letters, digits, <c>.</c>, <c>-</c> and <c>_</c>. The key
/// <c>class</c> is the label's slice and cannot be a condition.
/// </summary>
public static partial class VaultConditions
{
    /// <summary>A conditions sidecar's name is the data file's name with this appended.</summary>
    public const string SidecarSuffix = ".conditions";

    /// <summary>The most conditions one entry may carry.</summary>
    public const int MaxPerEntry = 8;

    /// <summary>The longest key or value.</summary>
    public const int MaxLength = 32;

    /// <summary>
    /// The conditions a sidecar's text states, as <c>key=value</c> strings sorted by key; null with a
    /// <paramref name="problem"/> when a line is not one, a key repeats, or there are too many. Blank lines and lines
    /// starting with <c>#</c> are skipped.
    /// </summary>
    /// <param name="text">The sidecar's text.</param>
    /// <param name="problem">When null is returned: what is wrong, naming the line.</param>
    /// <returns>The conditions, or null.</returns>
    public static IReadOnlyList<string>? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseLines(text.Split('\n'), index => $"line {index + 1}", out problem);
    }

    /// <summary>
    /// As <see cref="Parse(string, out string?)"/>, for conditions given one per <c>--condition</c> option (fedctl vault
    /// import), each named by its value in a <paramref name="problem"/>.
    /// </summary>
    /// <param name="values">The options' values, e.g. <c>lighting=dim</c>.</param>
    /// <param name="problem">When null is returned: what is wrong, naming the option.</param>
    /// <returns>The conditions sorted by key, or null.</returns>
    public static IReadOnlyList<string>? FromOptions(IReadOnlyList<string> values, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(values);
        return ParseLines(values, index => $"--condition '{Shorten(values[index])}'", out problem);
    }

    private static IReadOnlyList<string>? ParseLines(IReadOnlyList<string> lines, Func<int, string> where, out string? problem)
    {
        problem = null;
        var conditions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int index = 0; index < lines.Count; index++)
        {
            var line = lines[index].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = ConditionPattern().Match(line);
            if (!match.Success || match.Groups["key"].Value == "class")
            {
                problem = $"{where(index)} is not a condition: want key=value, the key a lowercase word other than 'class' and the value letters, digits, '.', '-' or '_' (each at most {MaxLength} characters), got '{Shorten(line)}'";
                return null;
            }

            if (!conditions.TryAdd(match.Groups["key"].Value, match.Groups["value"].Value))
            {
                problem = $"{where(index)} states '{match.Groups["key"].Value}' a second time";
                return null;
            }
        }

        if (conditions.Count > MaxPerEntry)
        {
            problem = $"it states {conditions.Count} conditions; at most {MaxPerEntry} are kept per entry";
            return null;
        }

        return [.. conditions.Select(pair => $"{pair.Key}={pair.Value}")];
    }

    /// <summary>The conditions as the vault index stores them: <c>key=value</c> joined by <c>;</c>, or null when none.</summary>
    /// <param name="conditions">Conditions from <see cref="Parse"/>.</param>
    public static string? ToIndexText(IReadOnlyList<string> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        return conditions.Count == 0 ? null : string.Join(';', conditions);
    }

    /// <summary>The conditions of the index's text (<see cref="ToIndexText"/>).</summary>
    /// <param name="text">The stored text, or null.</param>
    public static IReadOnlyList<string> FromIndexText(string? text) => string.IsNullOrEmpty(text) ? [] : text.Split(';');

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "…";

    [GeneratedRegex(@"^(?<key>[a-z][a-z0-9_-]{0,31})=(?<value>[A-Za-z0-9._-]{1,32})$", RegexOptions.CultureInvariant)]
    private static partial Regex ConditionPattern();

    /// <summary>Reads a sidecar file's text as strict UTF-8.</summary>
    /// <param name="path">The sidecar.</param>
    /// <param name="problem">When null is returned: why it cannot be read.</param>
    internal static IReadOnlyList<string>? ReadSidecar(string path, out string? problem)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(path));
            var conditions = Parse(text, out problem);
            if (conditions is null)
            {
                problem = $"the conditions sidecar {Path.GetFileName(path)}: {problem}";
            }

            return conditions;
        }
        catch (DecoderFallbackException)
        {
            problem = $"the conditions sidecar {Path.GetFileName(path)} is not UTF-8";
            return null;
        }
    }
}
