namespace Federation.Coordination.Tasks;

/// <summary>An operator's request about a task was refused; the message says why, in words the operator can act on.</summary>
public sealed class TaskRefusedException : Exception
{
    /// <summary>A refusal with its reason.</summary>
    public TaskRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal with no reason given.</summary>
    public TaskRefusedException()
    {
    }

    /// <summary>A refusal caused by another error.</summary>
    public TaskRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
