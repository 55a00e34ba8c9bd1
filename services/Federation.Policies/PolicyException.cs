namespace Federation.Policies;

/// <summary>
/// A policy file that cannot be used: missing, unreadable, not YAML, or failing validation. The message always starts
/// with the source name and, where there is one, the line, column and field, e.g.
/// <c>policies/factory-1.yaml:12:14: clipping.maxL2Norm must be a positive number, got -1</c>.
/// </summary>
/// <remarks>A gateway that catches this must send nothing: an unusable policy allows nothing.</remarks>
public sealed class PolicyException : Exception
{
    /// <summary>Creates the exception for a problem at a position in a policy file.</summary>
    /// <param name="sourceName">The file path or other name of the policy source.</param>
    /// <param name="line">The 1-based line, or null when the problem concerns the whole file.</param>
    /// <param name="column">The 1-based column, or null with <paramref name="line"/>.</param>
    /// <param name="fieldPath">The field, e.g. <c>privacy.budget.delta</c>, or null.</param>
    /// <param name="problem">What is wrong, without the location prefix.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PolicyException(string sourceName, long? line, long? column, string? fieldPath, string problem, Exception? innerException = null)
        : base(Format(sourceName, line, column, fieldPath, problem), innerException)
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        FieldPath = string.IsNullOrEmpty(fieldPath) ? null : fieldPath;
        Problem = problem;
    }

    /// <summary>The file path or other name of the policy source.</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line of the offending node, or null for whole-file problems.</summary>
    public long? Line { get; }

    /// <summary>The 1-based column of the offending node, or null for whole-file problems.</summary>
    public long? Column { get; }

    /// <summary>The dotted path of the offending field, e.g. <c>tensors["linear.weight"][1]</c>, or null.</summary>
    public string? FieldPath { get; }

    /// <summary>The problem without the location prefix.</summary>
    public string Problem { get; }

    private static string Format(string sourceName, long? line, long? column, string? fieldPath, string problem)
    {
        string location = line is null ? sourceName : $"{sourceName}:{line}:{column}";
        return string.IsNullOrEmpty(fieldPath) ? $"{location}: {problem}" : $"{location}: {fieldPath} {problem}";
    }
}
