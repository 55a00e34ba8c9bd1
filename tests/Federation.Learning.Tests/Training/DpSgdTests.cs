using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Federation.Learning.Tests.Training;

public class DpSgdTests
{
    private static readonly Dataset Blobs = SyntheticData.Blobs(classes: 3, features: 4, perClass: 100, seed: 5);
    private static readonly TrainingOptions Options = new(Epochs: 20, BatchSize: 16, LearningRate: 0.1f, Seed: 9);
    private static readonly byte[] SeedA = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] SeedB = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1))];

    public static TheoryData<string> Models => ["logistic", "mlp"];

    private static ModelSpec Spec(string model, int inputs = 4, int classes = 3) =>
        model == "logistic" ? ModelSpec.LogisticRegression(inputs, classes) : ModelSpec.Mlp(inputs, hidden: 16, classes);

    private static TrainingOptions Private(TrainingOptions options, double clippingNorm, double noiseMultiplier, byte[]? seed = null) =>
        options with { DifferentialPrivacy = new DifferentialPrivacy(clippingNorm, noiseMultiplier, seed ?? SeedA) };

    /// <summary>Options for exactly one step over the whole dataset: B ≥ N makes q = 1, so there is no sampling.</summary>
    private static TrainingOptions OneFullBatchStep(int count, float learningRate = 1f) =>
        new(Epochs: 1, BatchSize: count, LearningRate: learningRate, Seed: 0);

    private static float[] Flat(TensorSet set) => [.. set.SelectMany(t => t.Values)];

    [Theory]
    [MemberData(nameof(Models))]
    public void Each_examples_gradient_is_clipped_to_C_before_the_batch_sum(string model)
    {
        // Given five examples, one mislabelled with features a thousand times larger, so its gradient dwarfs the others.
        const double C = 0.5;
        var spec = Spec(model);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);
        var data = Blobs.Subset([0, 1, 2, 3, 4]);
        for (int f = 0; f < data.FeatureCount; f++)
        {
            data.Features[(4 * data.FeatureCount) + f] *= 1000;
        }

        data.Labels[4] = (byte)((data.Labels[4] + 1) % 3);

        var perExample = Enumerable.Range(0, data.Count).Select(i => LossGradient.Compute(spec, initial, data.Subset([i]))).ToList();
        perExample[4].L2Norm().ShouldBeGreaterThan(100 * C);

        // When one noiseless DP step is taken with learning rate 1 over the whole batch.
        var trained = SgdTrainer.Train(spec, initial, data, Private(OneFullBatchStep(data.Count), C, noiseMultiplier: 0));

        // Then the step is minus the mean of the per-example gradients, each scaled to norm at most C.
        var expected = initial.Clone();
        foreach (var gradient in perExample)
        {
            var clipped = L2Clipping.Clip(gradient, C).Clipped;
            for (int t = 0; t < expected.Count; t++)
            {
                TensorPrimitives.MultiplyAdd(clipped[t].Values, -1f / data.Count, expected[t].Values, expected[t].Values);
            }
        }

        float[] actual = Flat(trained);
        float[] wanted = Flat(expected);
        for (int i = 0; i < actual.Length; i++)
        {
            actual[i].ShouldBe(wanted[i], tolerance: 1e-6f, $"parameter {i}");
        }

        // And the step, a mean of N contributions of norm at most C, is at most C long, whereas plain SGD is not.
        trained.Subtract(initial).L2Norm().ShouldBeLessThanOrEqualTo(C * (1 + 1e-6));
        var unclipped = SgdTrainer.Train(spec, initial, data, OneFullBatchStep(data.Count));
        unclipped.Subtract(initial).L2Norm().ShouldBeGreaterThan(10 * C, "without clipping the huge example dominates the step");
    }

    [Theory]
    [InlineData("logistic", 1000)]
    [InlineData("mlp", 400)]
    public void Noise_added_per_step_has_standard_deviation_z_times_C(string model, int inputs)
    {
        // Given one step over a full batch, once with noise and once without, from the same seed.
        const double C = 0.5, Z = 1.5;
        var spec = Spec(model, inputs, classes: 10);
        var data = SyntheticData.Noise(classes: 10, features: inputs, count: 40, seed: 4);
        var initial = spec.Initialize(2);
        var options = OneFullBatchStep(data.Count);

        var noisy = SgdTrainer.Train(spec, initial, data, Private(options, C, Z));
        var clean = SgdTrainer.Train(spec, initial, data, Private(options, C, noiseMultiplier: 0));

        // Then the difference, times B / lr, is the noise added to the clipped sum: N(0, (z·C)²) in every coordinate.
        double[] noise = [.. Flat(noisy.Subtract(clean)).Select(v => -(double)v * data.Count / options.LearningRate)];
        noise.Length.ShouldBeGreaterThan(4000);
        double sigma = Z * C;
        double mean = noise.Average();
        double std = Math.Sqrt(noise.Sum(v => (v - mean) * (v - mean)) / (noise.Length - 1));

        // sd(s) ≈ σ / √(2n) ≤ 1.1% of σ here; 5% is more than 4 standard errors, yet far from σ = C or σ = z.
        Math.Abs(mean).ShouldBeLessThan(4 * sigma / Math.Sqrt(noise.Length));
        std.ShouldBe(sigma, tolerance: 0.05 * sigma);
        double withinOneSigma = noise.Count(v => Math.Abs(v) < sigma) / (double)noise.Length;
        withinOneSigma.ShouldBe(0.6827, tolerance: 0.03);
    }

    [Fact]
    public void Batches_are_Poisson_samples_with_the_configured_rate()
    {
        // A model whose every example contributes exactly (−½, +½) to the bias gradient, at a learning rate so small
        // that the probabilities stay exactly ½ in float: after training, −bias[1] · 2^100 counts the sampled examples.
        const int N = 1000, B = 100, Runs = 60;
        var spec = ModelSpec.LogisticRegression(inputs: 1, classes: 2);
        var data = new Dataset(new float[N], new byte[N], featureCount: 1, classCount: 2);
        var options = new TrainingOptions(Epochs: 1, BatchSize: B, LearningRate: 2 * B * MathF.ScaleB(1f, -100), Seed: 0);
        int steps = options.StepCount(N);
        steps.ShouldBe(10);

        double SampledExamples(byte[] seed) =>
            -Math.ScaleB(SgdTrainer.Train(spec, spec.Initialize(0), data, Private(options, clippingNorm: 1, noiseMultiplier: 0, seed))["linear.bias"].Values[1], 100);

        var totals = Enumerable.Range(0, Runs).Select(run => SampledExamples([.. SeedA.Select(b => (byte)(b ^ run))])).ToArray();

        // Each total is Binomial(steps·N, q = B/N): mean 1000 and variance 900. Fixed-size batches would give exactly
        // 1000 every time; a wrong rate would move the mean by many standard errors (30 / √60 ≈ 3.9).
        totals.ShouldAllBe(t => t == Math.Floor(t));
        double mean = totals.Average();
        double variance = totals.Sum(t => (t - mean) * (t - mean)) / (Runs - 1);
        mean.ShouldBe(steps * B, tolerance: 4 * Math.Sqrt(steps * N * 0.1 * 0.9 / Runs));
        variance.ShouldBeInRange(900 * 0.5, 900 * 1.6);

        // With B ≥ N the rate is 1, every example is in every step, and the sum is divided by N, the expected batch size.
        SgdTrainer.Train(spec, spec.Initialize(0), data, Private(options with { BatchSize = 2 * N, LearningRate = 2 * N * MathF.ScaleB(1f, -100) }, 1, 0))
            ["linear.bias"].Values[1].ShouldBe(-MathF.ScaleB(N, -100));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Same_seed_gives_bit_identical_parameters_and_another_seed_does_not(string model)
    {
        var spec = Spec(model);
        var options = Private(Options with { Epochs = 3 }, clippingNorm: 1, noiseMultiplier: 1.1);

        var first = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, options);
        var second = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, options);
        var other = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Private(Options with { Epochs = 3 }, 1, 1.1, SeedB));

        SafeTensors.Write(second).ShouldBe(SafeTensors.Write(first));
        SafeTensors.Write(other).ShouldNotBe(SafeTensors.Write(first));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Without_clipping_or_noise_a_dp_step_is_the_plain_full_batch_step(string model)
    {
        // A clipping norm no gradient reaches and z = 0 leave only the per-example bookkeeping, which must compute the
        // same gradient as plain SGD (up to float summation order), proximal term included.
        var spec = Spec(model);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);
        var options = new TrainingOptions(Epochs: 5, BatchSize: Blobs.Count, LearningRate: 0.2f, Seed: 1) { ProximalMu = 0.5f };

        var plain = Flat(SgdTrainer.Train(spec, initial, Blobs, options));
        var dp = Flat(SgdTrainer.Train(spec, initial, Blobs, Private(options, clippingNorm: 1e30, noiseMultiplier: 0)));

        for (int i = 0; i < plain.Length; i++)
        {
            dp[i].ShouldBe(plain[i], tolerance: 1e-5f, $"parameter {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Dp_sgd_with_noise_multiplier_one_still_learns_separable_blobs(string model)
    {
        var spec = Spec(model);

        var trained = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Private(Options, clippingNorm: 1, noiseMultiplier: 1.0));

        Evaluator.Evaluate(spec, trained, Blobs).Accuracy.ShouldBeGreaterThan(0.9);
    }

    [Fact]
    public void Proximal_term_still_pulls_towards_the_start_under_dp()
    {
        var spec = Spec("logistic");
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);
        var options = Private(Options, clippingNorm: 1, noiseMultiplier: 1.0);

        double free = SgdTrainer.Train(spec, initial, Blobs, options).Subtract(initial).L2Norm();
        double held = SgdTrainer.Train(spec, initial, Blobs, options with { ProximalMu = 5f }).Subtract(initial).L2Norm();

        held.ShouldBeLessThan(free / 2);
    }

    [Fact]
    public void Step_count_and_sampling_rate_are_what_the_accountant_needs()
    {
        Options.StepCount(300).ShouldBe(20 * 19);
        Options.StepCount(0).ShouldBe(0);
        (Options with { Epochs = 0 }).StepCount(300).ShouldBe(0);
        DifferentialPrivacy.SamplingRate(300, 16).ShouldBe(16.0 / 300);
        DifferentialPrivacy.SamplingRate(10, 16).ShouldBe(1.0);
        DifferentialPrivacy.SamplingRate(0, 16).ShouldBe(0.0);
    }

    [Fact]
    public void Invalid_settings_are_rejected_and_the_seed_never_printed()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new DifferentialPrivacy(0, 1, SeedA));
        Should.Throw<ArgumentOutOfRangeException>(() => new DifferentialPrivacy(double.NaN, 1, SeedA));
        Should.Throw<ArgumentOutOfRangeException>(() => new DifferentialPrivacy(1, -0.1, SeedA));
        Should.Throw<ArgumentOutOfRangeException>(() => new DifferentialPrivacy(1, double.PositiveInfinity, SeedA));
        Should.Throw<ArgumentException>(() => new DifferentialPrivacy(1, 1, SeedA.AsSpan(1)));

        var options = Private(Options, clippingNorm: 1, noiseMultiplier: 1.1);
        options.DifferentialPrivacy!.ToString().ShouldBe("DP-SGD (C = 1, z = 1.1)");
        options.ToString().ShouldNotContain(Convert.ToHexString(SeedA), Case.Insensitive);
    }
}
