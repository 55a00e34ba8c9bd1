namespace Federation.EventStore;

/// <summary>Special values for the expected version of <see cref="IEventStore.AppendAsync"/>.</summary>
public static class ExpectedVersion
{
    /// <summary>Append whatever the stream's current version is.</summary>
    public const long Any = -1;

    /// <summary>The stream must not exist yet (its version is 0).</summary>
    public const long NoStream = 0;
}
