namespace Federation.EventStore.Tests.Compliance;

/// <summary>Builds events for tests; every event gets a fresh id.</summary>
public static class TestEvents
{
    public static EventData New(string type = "ContributionReceived", string data = """{"round":1}""", EventMetadata? metadata = null) =>
        new(Guid.NewGuid(), type, data, metadata ?? EventMetadata.Empty);

    public static EventData[] Many(int count) =>
        Enumerable.Range(1, count).Select(i => New(data: $$"""{"round":{{i}}}""")).ToArray();
}
