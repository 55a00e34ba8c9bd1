using System.Reflection;
using Federation.Benchmarks;

// A bench command: `dotnet run -c Release --project bench/Federation.Benchmarks -- <name> [options]`.
// Each benchmark is a class implementing IBenchmark; they are found here, so adding one is adding a file.
var benchmarks = Assembly.GetExecutingAssembly().GetTypes()
    .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(type))
    .Select(type => (IBenchmark)Activator.CreateInstance(type)!)
    .OrderBy(benchmark => benchmark.Name, StringComparer.Ordinal)
    .ToList();

var chosen = benchmarks.FirstOrDefault(benchmark => benchmark.Name == args.FirstOrDefault());
if (chosen is null)
{
    Console.WriteLine("usage: Federation.Benchmarks <benchmark> [options]\n");
    foreach (var benchmark in benchmarks)
    {
        Console.WriteLine($"  {benchmark.Name,-24} {benchmark.Description}");
    }

    return args.Length == 0 ? 0 : 2;
}

return chosen.Run(args[1..]);
