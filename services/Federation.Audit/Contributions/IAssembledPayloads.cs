namespace Federation.Audit.Contributions;

/// <summary>
/// Where payloads sent in chunks are assembled. The checks only read from it: a payload is in it once its
/// chunks arrived and its bytes hashed to its name.
/// </summary>
public interface IAssembledPayloads
{
    /// <summary>True when the payload with this SHA-256 is assembled and verified.</summary>
    bool Contains(string sha256);

    /// <summary>Why assembling the payload failed for good, or null when it has not failed.</summary>
    string? AssemblyFailure(string sha256);

    /// <summary>Opens an assembled payload for reading.</summary>
    FileStream OpenRead(string sha256);
}
