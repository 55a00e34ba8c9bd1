namespace Federation.Benchmarks.Production;

/// <summary>
/// One part of the production benchmark (<c>production</c> runs them all in turn): a measurement against
/// the real servers, runnable alone under its own name. Each run alone prints the machine facts first.
/// </summary>
public abstract class ProductionPart : IBenchmark
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <summary>The part's options, for its usage line.</summary>
    public abstract string Usage { get; }

    /// <inheritdoc />
    public int Run(string[] arguments) => RunAloneAsync(arguments).GetAwaiter().GetResult();

    /// <summary>Measures and prints the part's table; returns the process exit code.</summary>
    /// <param name="arguments">The part's options; empty for its defaults.</param>
    public abstract Task<int> MeasureAsync(string[] arguments);

    private async Task<int> RunAloneAsync(string[] arguments)
    {
        await MachineFacts.PrintAsync();
        return await MeasureAsync(arguments);
    }
}
