using System.Diagnostics;
using System.Globalization;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Training;
using Federation.Vault.Datasets;

namespace Federation.Benchmarks;

/// <summary>
/// What DP-SGD costs in accuracy: Fashion-MNIST logistic regression trained centrally on 20,000 images (batch 64,
/// 3 epochs, learning rate 0.1 unless told otherwise) without DP, with per-example clipping alone, and with clipping C = 1 and noise
/// multipliers 0.5 and 1.0; test accuracy on the 10,000 test images and ε at δ = 1e-5 from the RDP accountant.
/// </summary>
public sealed class DpSgdBenchmark : IBenchmark
{
    private const int TrainingSamples = 20_000;
    private const int BatchSize = 64;
    private const int Epochs = 3;
    private const float DefaultLearningRate = 0.1f;
    private const double ClippingNorm = 1.0;
    private const double Delta = 1e-5;
    private const int NoiseSeeds = 3;

    /// <inheritdoc />
    public string Name => "dp-sgd";

    /// <inheritdoc />
    public string Description => "Fashion-MNIST logistic regression: test accuracy and ε of DP-SGD at z = 0.5 and 1.0 vs plain SGD";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        float learningRate = DefaultLearningRate;
        if (arguments is ["--learning-rate", string text]
            && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) && parsed > 0)
        {
            learningRate = parsed;
        }
        else if (arguments.Length > 0)
        {
            Console.WriteLine("usage: Federation.Benchmarks dp-sgd [--learning-rate 0.1]");
            return 2;
        }

        var training = FashionMnist.LoadTraining().Subset([.. Enumerable.Range(0, TrainingSamples)]);
        var test = FashionMnist.LoadTest();
        var spec = ModelSpec.LogisticRegression(training.FeatureCount, 10);
        var initial = spec.Initialize(seed: 1);
        var plain = new TrainingOptions(Epochs, BatchSize, learningRate, Seed: 1);
        int steps = plain.StepCount(training.Count);
        double samplingRate = DifferentialPrivacy.SamplingRate(training.Count, BatchSize);

        Console.WriteLine(Text($"Fashion-MNIST logistic regression: {training.Count} training images, {test.Count} test images, batch {BatchSize}, {Epochs} epochs = {steps} steps, lr {learningRate}"));
        Console.WriteLine(Text($"DP-SGD: Poisson sampling q = {samplingRate:G4}, per-example clipping C = {ClippingNorm}, ε at δ = {Delta:G1} (RDP, improved conversion); DP rows: mean and range over {NoiseSeeds} noise seeds"));
        Console.WriteLine();
        Console.WriteLine($"{"training",-34} {"test accuracy",-22} {"test loss",-10} {"‖update‖",-9} {"ε",-8} {"s/run",6}");

        Row("plain SGD (no DP)", [plain], epsilon: double.PositiveInfinity);
        foreach (double z in new[] { 0.0, 0.5, 1.0 })
        {
            var runs = Enumerable.Range(0, NoiseSeeds)
                .Select(seed => plain with { DifferentialPrivacy = new DifferentialPrivacy(ClippingNorm, z, Seed(seed)) })
                .ToArray();
            string name = z == 0 ? "DP-SGD clipping only (z = 0)" : Text($"DP-SGD z = {z}");
            Row(name, runs, RdpAccountant.ComputeEpsilon(z, samplingRate, steps, Delta));
        }

        return 0;

        void Row(string name, TrainingOptions[] runs, double epsilon)
        {
            var accuracy = new List<double>();
            var loss = new List<double>();
            var norm = new List<double>();
            var watch = Stopwatch.StartNew();
            foreach (var options in runs)
            {
                var trained = SgdTrainer.Train(spec, initial, training, options);
                var result = Evaluator.Evaluate(spec, trained, test);
                accuracy.Add(result.Accuracy);
                loss.Add(result.Loss);
                norm.Add(trained.Subtract(initial).L2Norm());
            }

            string accuracyText = runs.Length == 1
                ? Text($"{accuracy[0]:P2}")
                : Text($"{accuracy.Average():P2} ({accuracy.Min():P1}–{accuracy.Max():P1})");
            string epsilonText = double.IsPositiveInfinity(epsilon) ? "∞" : Text($"{epsilon:F2}");
            Console.WriteLine(Text(
                $"{name,-34} {accuracyText,-22} {loss.Average(),-10:F4} {norm.Average(),-9:F2} {epsilonText,-8} {watch.Elapsed.TotalSeconds / runs.Length,6:F1}"));
        }
    }

    private static byte[] Seed(int index) => [.. Enumerable.Range(0, CounterModeRandom.SeedLength).Select(i => (byte)((i * 31) + index))];

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
