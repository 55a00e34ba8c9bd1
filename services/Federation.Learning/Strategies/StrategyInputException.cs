namespace Federation.Learning.Strategies;

/// <summary>
/// Thrown when the inputs of an aggregation cannot be aggregated: an update whose layout differs from the global
/// model, a non-finite value, a non-positive sample count, a duplicated client, too few updates for the strategy,
/// or a server-optimizer state that does not belong to the strategy or the model. The message says exactly what
/// is wrong, and <see cref="ClientId"/> names the client at fault when there is one.
/// </summary>
public sealed class StrategyInputException : Exception
{
    /// <summary>Creates the exception with a description of the problem.</summary>
    /// <param name="message">What is wrong with the inputs.</param>
    public StrategyInputException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a description of the problem and the client it concerns.</summary>
    /// <param name="message">What is wrong with the inputs.</param>
    /// <param name="clientId">The client whose update is at fault.</param>
    public StrategyInputException(string message, string? clientId)
        : base(message)
    {
        ClientId = clientId;
    }

    /// <summary>Creates the exception with a description of the problem and its cause.</summary>
    /// <param name="message">What is wrong with the inputs.</param>
    /// <param name="innerException">The underlying error.</param>
    public StrategyInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public StrategyInputException()
        : base("the aggregation inputs are invalid")
    {
    }

    /// <summary>The client whose update was rejected, when the problem is one client's update.</summary>
    public string? ClientId { get; }
}
