using Federation.EventStore;

namespace Federation.Audit.Bundles;

/// <summary>
/// (2) Stream versions start at 1 and have no gaps: the n-th event of a stream, in position order,
/// has version n. Checked directly, so a gap is named by its stream even where the root cannot tell.
/// </summary>
internal sealed class StreamOrderCheck(Findings findings)
{
    private readonly Dictionary<string, (long Count, long LastPosition)> streams = new(StringComparer.Ordinal);

    public void Check(RecordedEvent recorded, string where)
    {
        var (count, last) = streams.GetValueOrDefault(recorded.StreamId);
        count++;
        if (recorded.StreamVersion != count)
        {
            var previous = count == 1 ? "its first event" : $"event {count} (the one before is at position {last})";
            findings.Add(2, $"{where}, field streamVersion",
                $"is {recorded.StreamVersion}, but this is {previous} of stream '{recorded.StreamId}': stream versions start at 1 and have no gaps, so {count} was expected.");
        }

        streams[recorded.StreamId] = (count, recorded.Position);
    }
}
