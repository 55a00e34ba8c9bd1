using System.CommandLine;

namespace Federation.Cli.Tasks;

/// <summary><c>--task ID</c> of the commands that act on one task's rounds or models, and the API query it becomes.</summary>
public static class TaskOption
{
    /// <summary>The option; absent means task <c>default</c>, the aggregator's configured job.</summary>
    public static Option<string?> Create() => CommonOptions.Text("--task", "ID", "the task (default: the aggregator's configured job, task 'default')");

    /// <summary><c>?task=ID</c> (or <c>&amp;task=ID</c> after other parameters), or nothing when the option is absent.</summary>
    public static string Query(ParseResult parsed, Option<string?> option, char separator = '?') =>
        parsed.GetValue(option) is { } task ? $"{separator}task={Uri.EscapeDataString(task)}" : "";
}
