namespace Federation.Learning.Tensors;

/// <summary>
/// Thrown when bytes are not a valid safetensors file; the message says exactly what is wrong
/// so that a rejected model upload can be explained to the factory that sent it.
/// </summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception with a description of the problem.</summary>
    /// <param name="message">What is wrong with the file.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a description of the problem and its cause.</summary>
    /// <param name="message">What is wrong with the file.</param>
    /// <param name="innerException">The underlying error, e.g. from the JSON parser.</param>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public SafeTensorsFormatException()
        : base("the bytes are not a valid safetensors file")
    {
    }
}
