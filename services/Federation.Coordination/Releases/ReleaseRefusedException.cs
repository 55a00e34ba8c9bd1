namespace Federation.Coordination.Releases;

/// <summary>An operator's release of a model version was refused; the message says why, in words the operator can act on.</summary>
public sealed class ReleaseRefusedException : Exception
{
    /// <summary>A refusal with its reason.</summary>
    public ReleaseRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal with no reason given.</summary>
    public ReleaseRefusedException()
    {
    }

    /// <summary>A refusal caused by another error.</summary>
    public ReleaseRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
