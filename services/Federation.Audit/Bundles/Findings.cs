using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.EventStore;

namespace Federation.Audit.Bundles;

/// <summary>
/// Where the checks of one verification put what they find: per check, in the order found, so the
/// report lists them by check (1 checkpoint … 6 payloads) whichever check ran first.
/// </summary>
internal sealed class Findings
{
    private readonly List<AuditFinding>[] byCheck = [.. Enumerable.Range(0, 7).Select(_ => new List<AuditFinding>())];

    /// <summary>Things that limit what was proven without being failures.</summary>
    public List<string> Warnings { get; } = [];

    public void Add(int check, string where, string problem) => byCheck[check].Add(new AuditFinding(check, where, problem));

    public int CountOf(int check) => byCheck[check].Count;

    public IReadOnlyList<AuditFinding> All() => [.. byCheck.SelectMany(list => list)];
}

/// <summary>One readable line of events.jsonl: the stored event, its typed form, and how findings name it.</summary>
/// <param name="Recorded">The stored event as the line holds it.</param>
/// <param name="Event">Its federation event.</param>
/// <param name="Where">E.g. <c>events.jsonl line 7 (position 7)</c>.</param>
internal sealed record BundleEvent(RecordedEvent Recorded, IFederationEvent Event, string Where)
{
    public long Position => Recorded.Position;

    /// <summary>The task of the stream the event is recorded in; task default for legacy streams and streams of no task.</summary>
    public string Task => EventStreams.TaskOf(Recorded.StreamId) ?? TaskIds.Default;

    /// <summary>The finding location of one member of the event's data, e.g. <c>…, field data.keyId</c>.</summary>
    public string Field(string member) => $"{Where}, field data.{member}";
}

/// <summary>How values appear in findings: strings quoted, enums in their JSON spelling, numbers invariant.</summary>
internal static class Shown
{
    public static string Of(object? value) => value switch
    {
        null => "null",
        string text => $"'{text}'",
        RoundOutcome outcome => JsonNamingPolicy.KebabCaseLower.ConvertName(outcome.ToString()),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A round as findings name it: just its number in task default (as before tasks), with its task otherwise.</summary>
    public static string Round(string task, int round) => task == TaskIds.Default ? $"round {round}" : $"round {round} of task '{task}'";

    /// <summary>A model version as findings name it: just its number in task default, with its task otherwise.</summary>
    public static string Version(string task, int version) => task == TaskIds.Default ? $"version {version}" : $"version {version} of task '{task}'";

    public static string Parameters(IReadOnlyDictionary<string, double> parameters) =>
        "{" + string.Join(", ", parameters.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={Of(pair.Value)}")) + "}";
}
