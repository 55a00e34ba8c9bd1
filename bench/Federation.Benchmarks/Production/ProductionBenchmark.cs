namespace Federation.Benchmarks.Production;

/// <summary>
/// The production figures of issue #3 in one go: the machine, then each part against the real
/// PostgreSQL and RabbitMQ, each with its defaults.
/// </summary>
public sealed class ProductionBenchmark : IBenchmark
{
    // In the order they run; each also runs alone under its own name.
    private static readonly ProductionPart[] Parts = [new StoreBenchmark(), new BusBenchmark(), new PayloadBenchmark()];

    /// <inheritdoc />
    public string Name => "production";

    /// <inheritdoc />
    public string Description => $"Machine facts, then every production part with its defaults: {string.Join(", ", Parts.Select(part => part.Name))}";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        if (arguments.Length > 0)
        {
            Console.WriteLine("usage: Federation.Benchmarks production   (takes no options; run a part alone to change its options)");
            foreach (var part in Parts)
            {
                Console.WriteLine($"  {part.Usage}");
            }

            return 2;
        }

        return RunAsync().GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync()
    {
        await MachineFacts.PrintAsync();
        var exitCode = 0;
        foreach (var part in Parts)
        {
            Console.WriteLine($"== {part.Name} ==");
            var partExit = await part.MeasureAsync([]);
            exitCode = exitCode == 0 ? partExit : exitCode;
            Console.WriteLine();
        }

        return exitCode;
    }
}
