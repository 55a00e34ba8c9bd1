using System.Text.Json;
using Federation.Contracts;

namespace Federation.Coordination.Announcements;

/// <summary>
/// Where <see cref="AnnouncementPublisher"/> keeps its place in the history: the last event whose announcement
/// the broker confirmed (or that needed none), as a small JSON file in the aggregator's data directory.
/// </summary>
/// <remarks>
/// <para>
/// A file, not a table beside the events, because the checkpoint is not history. If it is lost or falls behind,
/// the cost is announcements sent again under the same message ids, which gateways ignore; so it needs no
/// transaction with the events, and the event store stays the one append-only table that both backends and
/// their compliance suite describe. The data directory is also where the payload store keeps the model bytes that
/// every announcement carries, with either event store, so the checkpoint lives and dies with what it points into.
/// </para>
/// <para>
/// It names the event as well as its position, so a checkpoint left from another history (events.db deleted,
/// another PostgreSQL schema) is noticed instead of silently skipping that history's first announcements. It is
/// written to a temporary file, flushed and renamed over the old one: after a crash the file holds the old
/// checkpoint or the new one, never a torn one.
/// </para>
/// </remarks>
/// <param name="path">The checkpoint file.</param>
public sealed class AnnouncementCheckpoint(string path)
{
    /// <summary>The file's name inside the aggregator's data directory (<c>Aggregator:DataDirectory</c>).</summary>
    public const string FileName = "announcements.checkpoint.json";

    /// <summary>The checkpoint file.</summary>
    public string Path => path;

    /// <summary>Reads the checkpoint; null when none was saved yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a checkpoint.</exception>
    public async Task<AnnouncedPosition?> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            await using var file = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<AnnouncedPosition>(file, FederationJson.Options, cancellationToken)
                ?? throw new InvalidDataException($"The announcement checkpoint {path} is empty.");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"The announcement checkpoint {path} is not readable: {error.Message}", error);
        }
    }

    /// <summary>Replaces the checkpoint atomically and durably.</summary>
    public async Task SaveAsync(AnnouncedPosition position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(position);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await JsonSerializer.SerializeAsync(file, position, FederationJson.Options, cancellationToken);
                // On disk before the rename makes it the checkpoint; otherwise a power cut could leave an empty file.
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>An event in the history that has been announced (or needed no announcement).</summary>
/// <param name="Position">The event's global position.</param>
/// <param name="EventId">The event's id, to recognise the history the position belongs to.</param>
public sealed record AnnouncedPosition(long Position, Guid EventId);
