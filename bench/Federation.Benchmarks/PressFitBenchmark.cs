using System.Globalization;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Training;
using Federation.Vault.PressFit;

namespace Federation.Benchmarks;

/// <summary>
/// What the press-fit task learns centrally, with and without DP-SGD: synthetic curves (docs/PRESS_FIT.md; seed 7,
/// 30 % faulty) turned into the vault trainer's 64 features, a 3,000 / 1,000 train / test split, the press-fit MLP
/// (64-16-2) and a logistic regression; test accuracy, and ε at δ = 1e-5 from the RDP accountant. Plain SGD and DP-SGD
/// get their own learning rates (0.2 and 2.0 by default): clipping at C = 1 shrinks DP-SGD's steps. Then the model
/// team's 1-D CNN (<see cref="ForceCnnRuns"/>) on the same curves and split, with the same plans; its DP-SGD noise is
/// fresh from the operating system each run, as in a gateway.
/// </summary>
public sealed class PressFitBenchmark : IBenchmark
{
    private const int Curves = 4_000;
    private const int TrainingCurves = 3_000;
    private const int GeneratorSeed = 7;
    private const double FaultyShare = 0.3;
    private const int BatchSize = 64;
    private const double ClippingNorm = 1.0;
    private const double Delta = 1e-5;
    private const int NoiseSeeds = 3;

    /// <inheritdoc />
    public string Name => "press-fit";

    /// <inheritdoc />
    public string Description => "synthetic press-fit curves, good vs faulty: test accuracy of plain SGD and DP-SGD (z = 0.5, 1.0) and ε";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        int epochs = 20;
        float plainRate = 0.2f, privateRate = 2.0f;
        for (int i = 0; i + 1 < arguments.Length; i += 2)
        {
            switch (arguments[i])
            {
                case "--epochs":
                    epochs = int.Parse(arguments[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--plain-learning-rate":
                    plainRate = float.Parse(arguments[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--dp-learning-rate":
                    privateRate = float.Parse(arguments[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.WriteLine("usage: Federation.Benchmarks press-fit [--epochs 20] [--plain-learning-rate 0.2] [--dp-learning-rate 2.0]");
                    return 2;
            }
        }

        var curves = PressFitGenerator.Generate(Curves, GeneratorSeed, FaultyShare);
        var all = ToDataset(curves);
        var training = all.Subset([.. Enumerable.Range(0, TrainingCurves)]);
        var test = all.Subset([.. Enumerable.Range(TrainingCurves, Curves - TrainingCurves)]);
        double faulty = test.Labels.Count(label => label == 1) / (double)test.Count;
        var plain = new TrainingOptions(epochs, BatchSize, plainRate, Seed: 1);
        int steps = plain.StepCount(training.Count);
        double samplingRate = DifferentialPrivacy.SamplingRate(training.Count, BatchSize);

        Console.WriteLine(Text($"Press-fit curves (seed {GeneratorSeed}, {FaultyShare:P0} faulty): {training.Count} training, {test.Count} test ({faulty:P1} faulty, so always answering \"good\" scores {1 - faulty:P1})"));
        Console.WriteLine(Text($"batch {BatchSize}, {epochs} epochs = {steps} steps, lr {plainRate} plain, {privateRate} DP-SGD; DP-SGD: q = {samplingRate:G4}, C = {ClippingNorm}, ε at δ = {Delta:G1}; DP rows: mean over {NoiseSeeds} noise seeds"));
        Console.WriteLine();
        Console.WriteLine($"{"model",-22} {"training",-30} {"test accuracy",-22} {"ε",-8}");
        foreach (var spec in new[] { PressFitModel.Spec, ModelSpec.LogisticRegression(PressFitFeatures.Count, 2) })
        {
            string model = spec.Kind == ModelKind.Mlp ? "MLP 64-16-2" : "logistic regression";
            Row(model, spec, "plain SGD (no DP)", [plain], double.PositiveInfinity);
            foreach (double z in new[] { 0.0, 0.5, 1.0 })
            {
                var runs = Enumerable.Range(0, NoiseSeeds)
                    .Select(seed => plain with { LearningRate = privateRate, DifferentialPrivacy = new DifferentialPrivacy(ClippingNorm, z, Seed(seed)) })
                    .ToArray();
                Row(model, spec, z == 0 ? "DP-SGD clipping only (z = 0)" : Text($"DP-SGD z = {z}"), runs, RdpAccountant.ComputeEpsilon(z, samplingRate, steps, Delta));
            }
        }

        using var cnn = ForceCnnRuns.Create(curves, TrainingCurves);
        if (cnn is null)
        {
            Console.WriteLine("1-D CNN: not run, no trainers/pytorch above the working directory (run from the repository)");
            return 0;
        }

        // force_cnn.py resamples the raw CSV at 128 points rather than taking the 64 features; same curves, same split.
        const string cnnModel = "1-D CNN (force_cnn.py)";
        Console.WriteLine(Text($"{cnnModel,-22} {"plain SGD (no DP)",-30} {cnn.Accuracy(plain, training.Count, dpSgd: null, ClippingNorm):P2}"));
        foreach (double z in new[] { 0.5, 1.0 })
        {
            var accuracy = Enumerable.Range(0, NoiseSeeds).Select(_ => cnn.Accuracy(plain with { LearningRate = privateRate }, training.Count, z, ClippingNorm)).ToList();
            Console.WriteLine(Text($"{cnnModel,-22} {$"DP-SGD z = {z}",-30} {$"{accuracy.Average():P2} ({accuracy.Min():P1}–{accuracy.Max():P1})",-22} {RdpAccountant.ComputeEpsilon(z, samplingRate, steps, Delta):F2}"));
        }

        return 0;

        void Row(string model, ModelSpec spec, string name, TrainingOptions[] runs, double epsilon)
        {
            var initial = spec.Initialize(seed: 1);
            var accuracy = runs.Select(options => Evaluator.Evaluate(spec, SgdTrainer.Train(spec, initial, training, options), test).Accuracy).ToList();
            string accuracyText = runs.Length == 1 ? Text($"{accuracy[0]:P2}") : Text($"{accuracy.Average():P2} ({accuracy.Min():P1}–{accuracy.Max():P1})");
            string epsilonText = double.IsPositiveInfinity(epsilon) ? "∞" : Text($"{epsilon:F2}");
            Console.WriteLine(Text($"{model,-22} {name,-30} {accuracyText,-22} {epsilonText,-8}"));
        }
    }

    private static Dataset ToDataset(IReadOnlyList<PressFitCurve> curves)
    {
        var features = new float[curves.Count * PressFitFeatures.Count];
        var labels = new byte[curves.Count];
        for (int i = 0; i < curves.Count; i++)
        {
            PressFitFeatures.From(curves[i].TimeSeconds, curves[i].ForceNewtons).CopyTo(features, i * PressFitFeatures.Count);
            labels[i] = curves[i].Fault == PressFitFault.None ? (byte)0 : (byte)1;
        }

        return new Dataset(features, labels, PressFitFeatures.Count, 2);
    }

    private static byte[] Seed(int index) => [.. Enumerable.Range(0, CounterModeRandom.SeedLength).Select(i => (byte)((i * 31) + index))];

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
