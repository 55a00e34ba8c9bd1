using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts;
using Federation.EventStore;

namespace Federation.Audit.Bundles;

/// <summary>
/// The files of an audit bundle (docs/FORMATS.md section 10) and how they are read. A bundle is a
/// plain folder, so an auditor can check it with any SHA-256, Ed25519 and JSON tools.
/// </summary>
public static class AuditBundle
{
    /// <summary>The signed checkpoint, byte for byte as the aggregator served it.</summary>
    public const string CheckpointFile = "checkpoint.txt";

    /// <summary>The log's verifier key as the aggregator served it; trusted only when nothing better is pinned.</summary>
    public const string LogKeyFile = "log-key.txt";

    /// <summary>
    /// The enrolled keys as <c>GET /api/gateways</c> served them. No longer exported (the key events are
    /// the one source); an older bundle that has it is checked against the key events.
    /// </summary>
    public const string GatewaysFile = "gateways.json";

    /// <summary>One stored event per line, in position order, as the aggregator served it.</summary>
    public const string EventsFile = "events.jsonl";

    /// <summary>The exporter's leaf hash of each event: only a locator that names changed events, never trusted.</summary>
    public const string LeafHashesFile = "leaf-hashes.txt";

    /// <summary>The folder of payloads, model versions and strategy states, each named by its SHA-256.</summary>
    public const string PayloadsFolder = "payloads";

    /// <summary>
    /// Reads events as the API writes them (camelCase), strictly: an unknown or missing member
    /// is an error, so a line cannot carry anything the leaf hash does not cover.
    /// </summary>
    public static JsonSerializerOptions EventJson => FederationJson.Options;

    /// <summary>Reads one line of <see cref="EventsFile"/>.</summary>
    /// <exception cref="JsonException">The line is not a stored event.</exception>
    public static RecordedEvent ParseEvent(string line) =>
        JsonSerializer.Deserialize<RecordedEvent>(line, EventJson) ?? throw new JsonException("The line is JSON null.");

    /// <summary>The path of the payload named <paramref name="sha256"/> in the bundle at <paramref name="directory"/>.</summary>
    public static string PayloadPath(string directory, string sha256) => Path.Combine(directory, PayloadsFolder, sha256);

    /// <summary>Whether <paramref name="text"/> is a SHA-256 digest as Federation writes it: 64 lowercase hex digits.</summary>
    public static bool IsSha256(string? text) =>
        text is { Length: 64 } && text.All(character => char.IsAsciiDigit(character) || character is >= 'a' and <= 'f');

    /// <summary>
    /// Reads every event of the bundle at <paramref name="directory"/> with its typed form, for
    /// commands that look things up (reaggregate, provenance). It does not verify anything: that is
    /// <see cref="BundleVerifier"/>'s job.
    /// </summary>
    /// <exception cref="AuditException">The bundle has no events file or a line cannot be read.</exception>
    public static IReadOnlyList<HistoryEntry> ReadHistory(string directory)
    {
        var path = Path.Combine(directory, EventsFile);
        if (!File.Exists(path))
        {
            throw new AuditException($"{path} does not exist: is {directory} an audit bundle (fedctl audit export)?");
        }

        var entries = new List<HistoryEntry>();
        var number = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            try
            {
                var recorded = ParseEvent(line);
                entries.Add(new HistoryEntry(recorded, EventHistory.Deserialize(recorded)));
            }
            catch (Exception error) when (error is JsonException or InvalidDataException)
            {
                var detail = error is JsonException json ? $"{JsonProblem.Where($"{EventsFile} line {number}", "", json)}: {JsonProblem.Describe(json)}" : $"{EventsFile} line {number}: {error.Message}";
                throw new AuditException($"{detail}; run `fedctl audit verify` on the bundle.");
            }
        }

        return entries;
    }
}

/// <summary>Where a typed event of the history sits: a stored event with its federation event.</summary>
public static class HistoryEntries
{
    /// <summary>The model version <paramref name="version"/> published in <paramref name="task"/>'s models stream, or null.</summary>
    public static HistoryEntry? FindVersion(this IEnumerable<HistoryEntry> history, string task, int version)
    {
        // Every task numbers its versions from 0, so a number alone does not name a version.
        var stream = EventStreams.Models(task);
        return history.FirstOrDefault(entry => entry.Recorded.StreamId == stream && entry.Event is ModelVersionPublished published && published.Version == version);
    }
}
