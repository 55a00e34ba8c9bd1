namespace Federation.EventStore;

/// <summary>
/// Thrown when an append's expected version does not match the stream's actual version, which usually means
/// another writer appended to the stream first. Re-read the stream and decide again.
/// </summary>
public sealed class WrongExpectedVersionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="streamId">The stream that was appended to.</param>
    /// <param name="expectedVersion">The version the caller expected.</param>
    /// <param name="actualVersion">The stream's actual version.</param>
    public WrongExpectedVersionException(string streamId, long expectedVersion, long actualVersion)
        : base($"Wrong expected version for stream '{streamId}': expected version {expectedVersion}, actual version {actualVersion}.")
    {
        StreamId = streamId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The stream that was appended to.</summary>
    public string StreamId { get; }

    /// <summary>The version the caller expected.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The stream's actual version at the time of the append.</summary>
    public long ActualVersion { get; }
}
