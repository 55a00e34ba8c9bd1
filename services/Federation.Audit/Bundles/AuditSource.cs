using System.Globalization;
using System.Text.Json;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// Where an audit command reads the history (gateway key events included) and the payloads: an exported
/// bundle (offline) or a running aggregator's API. Payloads are returned as found; callers check
/// their hashes, so a damaged source shows up as a named problem rather than a wrong answer.
/// </summary>
public sealed class AuditSource
{
    private readonly Func<Task<IReadOnlyList<HistoryEntry>>> readHistory;
    private readonly Func<string, Task<byte[]?>> readPayload;
    private readonly Func<string, string> namePayload;
    private IReadOnlyList<HistoryEntry>? history;
    private KeyTimeline? keys;

    /// <summary>A source that reads with the given functions (fedctl builds one over the aggregator's API).</summary>
    /// <param name="description">What the source is, for messages.</param>
    /// <param name="readHistory">Reads every event in order.</param>
    /// <param name="readPayload">Reads a payload by SHA-256; null when absent.</param>
    /// <param name="namePayload">Where a payload is found, for messages.</param>
    public AuditSource(
        string description,
        Func<Task<IReadOnlyList<HistoryEntry>>> readHistory,
        Func<string, Task<byte[]?>> readPayload,
        Func<string, string> namePayload)
    {
        Description = description;
        this.readHistory = readHistory;
        this.readPayload = readPayload;
        this.namePayload = namePayload;
    }

    /// <summary>What the source is, for messages: the bundle folder or the aggregator's address.</summary>
    public string Description { get; }

    /// <summary>Reads from the bundle at <paramref name="directory"/>, without any network access.</summary>
    public static AuditSource FromBundle(string directory)
    {
        var full = Path.GetFullPath(directory);
        return new AuditSource(
            $"bundle {full}",
            () => Task.FromResult(AuditBundle.ReadHistory(full)),
            async sha256 => File.Exists(AuditBundle.PayloadPath(full, sha256)) ? await File.ReadAllBytesAsync(AuditBundle.PayloadPath(full, sha256)) : null,
            sha256 => $"{AuditBundle.PayloadsFolder}/{sha256}");
    }

    /// <summary>Every event, with its position, in order (read once, then kept).</summary>
    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync() => history ??= await readHistory();

    /// <summary>The gateway keys as the history's key events made them (read once, then kept).</summary>
    public async Task<KeyTimeline> KeysAsync() => keys ??= KeyTimeline.Of(await HistoryAsync());

    /// <summary>The published event of model version <paramref name="version"/> of <paramref name="task"/> and where it sits.</summary>
    /// <exception cref="AuditException">The version has not been published in that task.</exception>
    public async Task<HistoryEntry> VersionAsync(string task, int version) =>
        (await HistoryAsync()).FindVersion(task, version)
        ?? throw new AuditException($"Model version {version} has not been published{(task == TaskIds.Default ? "" : $" in task '{task}'")} ({Description}).");

    /// <summary>A payload's bytes, checked against its name; a problem when it is missing or does not match.</summary>
    public async Task<(byte[]? Bytes, string? Problem)> PayloadAsync(string sha256)
    {
        var bytes = await readPayload(sha256);
        if (bytes is null)
        {
            return (null, $"{namePayload(sha256)} is missing from {Description}{(Description.StartsWith("bundle", StringComparison.Ordinal) ? " (export it with --with-payloads)" : "")}.");
        }

        var actual = Sha256Hex.Of(bytes);
        return actual == sha256 ? (bytes, null) : (bytes, $"{namePayload(sha256)} hashes to {actual}, not to its name: its bytes were changed.");
    }

    /// <summary>The events of round <paramref name="round"/> of <paramref name="task"/>, with positions.</summary>
    /// <remarks>An event's task is its stream's; rejections kept in no task's stream count as task default's, as before tasks.</remarks>
    public async Task<IReadOnlyList<HistoryEntry>> RoundAsync(string task, int round) =>
        [.. (await HistoryAsync()).Where(entry => (EventStreams.TaskOf(entry.Recorded.StreamId) ?? TaskIds.Default) == task && entry.Event switch
        {
            RoundOpened opened => opened.Round == round,
            ContributionAccepted accepted => accepted.Round == round,
            ContributionRejected rejected => rejected.Round == round,
            RoundClosed closed => closed.Round == round,
            _ => false,
        })];
}
