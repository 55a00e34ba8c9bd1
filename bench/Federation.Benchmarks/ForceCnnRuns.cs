using System.Globalization;
using System.Text.Json;
using Federation.Learning.Training;
using Federation.Site.Training;
using Federation.Vault.PressFit;

namespace Federation.Benchmarks;

/// <summary>
/// The model team's 1-D CNN for press-fit curves (<c>trainers/pytorch/force_cnn.py</c>) on the press-fit benchmark's
/// own curves and split: the curves written as the vault's CSV files, version 0 from <c>--init</c>, then the program's
/// train and evaluate modes run as a gateway runs them (not confined: the benchmark is the model team's machine).
/// </summary>
internal sealed class ForceCnnRuns : IDisposable
{
    private readonly PyTorchTrainers trainers;
    private readonly string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"federation-bench-force-cnn-{Guid.NewGuid():N}")).FullName;
    private readonly string initial;
    private readonly string training;
    private readonly string test;
    private int runs;

    private ForceCnnRuns(PyTorchTrainers trainers, IReadOnlyList<PressFitCurve> curves, int trainingCurves)
    {
        this.trainers = trainers;
        training = DataFile("training", curves.Take(trainingCurves).ToList(), 0);
        test = DataFile("test", curves.Skip(trainingCurves).ToList(), trainingCurves);
        initial = Path.Combine(folder, "force-cnn-v0.safetensors");
        Run("--init", "--classes", "2", "--seed", "1", "--out", initial);
    }

    /// <summary>The runs, or null when <c>trainers/pytorch</c> is not above the working directory.</summary>
    public static ForceCnnRuns? Create(IReadOnlyList<PressFitCurve> curves, int trainingCurves) =>
        PyTorchTrainers.Find() is { } trainers ? new ForceCnnRuns(trainers, curves, trainingCurves) : null;

    /// <summary>Trains version 0 with <paramref name="options"/> (DP-SGD at <paramref name="dpSgd"/> when given) and returns its test accuracy.</summary>
    public double Accuracy(TrainingOptions options, int trainingCount, double? dpSgd, double clippingNorm)
    {
        var run = Interlocked.Increment(ref runs);
        var plan = Path.Combine(folder, $"plan-{run}.json");
        var model = Path.Combine(folder, $"trained-{run}.safetensors");
        var metrics = Path.Combine(folder, $"metrics-{run}.json");
        File.WriteAllBytes(plan, JsonSerializer.SerializeToUtf8Bytes(new
        {
            round = 1,
            epochs = options.Epochs,
            batchSize = options.BatchSize,
            learningRate = options.LearningRate,
            seed = run,
            proximalMu = 0,
            dpSgd = dpSgd is { } z
                ? new { samplingRate = DifferentialPrivacy.SamplingRate(trainingCount, options.BatchSize), steps = options.StepCount(trainingCount), clippingNorm, noiseMultiplier = z }
                : null,
        }));
        Run("--base-model", initial, "--data", training, "--plan", plan, "--output", model, "--privacy-report", Path.Combine(folder, $"privacy-{run}.json"));
        Run("--evaluate", "--model", model, "--data", test, "--output", metrics);
        using var document = JsonDocument.Parse(File.ReadAllBytes(metrics));
        return document.RootElement.GetProperty("metrics").EnumerateArray()
            .First(metric => metric.GetProperty("name").GetString() == "accuracy" && metric.GetProperty("slice").ValueKind == JsonValueKind.Null)
            .GetProperty("value").GetDouble();
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private void Run(params string[] arguments) => trainers.RunAsync("force_cnn.py", arguments).GetAwaiter().GetResult();

    private string DataFile(string name, IReadOnlyList<PressFitCurve> curves, int first)
    {
        var curveFolder = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        var entries = curves.Select((curve, index) =>
        {
            var path = Path.Combine(curveFolder, string.Create(CultureInfo.InvariantCulture, $"curve-{first + index:D5}.csv"));
            File.WriteAllBytes(path, curve.ToCsv());
            return new { path, label = curve.Label, conditions = Array.Empty<string>() };
        }).ToList();
        var file = Path.Combine(folder, $"{name}.json");
        File.WriteAllBytes(file, JsonSerializer.SerializeToUtf8Bytes(new { kind = "force", classes = new[] { "good", "faulty" }, entries }));
        return file;
    }
}
