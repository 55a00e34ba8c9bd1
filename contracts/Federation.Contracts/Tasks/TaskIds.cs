using System.Text.RegularExpressions;

namespace Federation.Contracts.Tasks;

/// <summary>
/// What a task id may be. Ids appear in stream names, file names and URLs, so they are safe names:
/// 1 to 63 characters of lowercase ASCII letters, digits and hyphens, starting and ending with a letter or digit.
/// </summary>
public static partial class TaskIds
{
    /// <summary>
    /// The task a configuration from before tasks existed becomes. Its rounds, models and evaluations keep the stream
    /// names they had (<c>round-N</c>, <c>models</c>, <c>evaluations</c>), so an existing history is read as it is.
    /// </summary>
    public const string Default = "default";

    /// <summary>The longest id allowed.</summary>
    public const int MaxLength = 63;

    /// <summary>Whether <paramref name="id"/> is a safe task id.</summary>
    public static bool IsSafe(string? id) => id is not null && SafeName().IsMatch(id);

    /// <summary>Why <paramref name="id"/> is not a safe task id, or null when it is one.</summary>
    public static string? Problem(string? id) => id switch
    {
        null or "" => "A task id is required.",
        { Length: > MaxLength } => $"Task id '{id}' is {id.Length} characters long; at most {MaxLength} are allowed.",
        _ when !SafeName().IsMatch(id) => $"Task id '{id}' is not a safe name: use lowercase letters, digits and hyphens, starting and ending with a letter or digit (e.g. 'weld-photos').",
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
