namespace Federation.Benchmarks;

/// <summary>One named measurement the bench command can run.</summary>
public interface IBenchmark
{
    /// <summary>The name to run it by.</summary>
    string Name { get; }

    /// <summary>One line saying what it measures.</summary>
    string Description { get; }

    /// <summary>Runs it and prints its figures; returns the process exit code.</summary>
    int Run(string[] arguments);
}
