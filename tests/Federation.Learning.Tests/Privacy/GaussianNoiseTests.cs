using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Privacy;

public class GaussianNoiseTests
{
    private const int N = 1_000_000;

    private static TensorSet Zeros(int count) => new([Tensor.Zeros("w", count)]);

    private static TensorSet NoiseFrom(string source, double sigma) => source switch
    {
        "system-random" => GaussianNoise.Add(Zeros(N), sigma, seed: 20_240_601),
        "counter-mode" => NoiseFromCounterMode(sigma),
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    private static TensorSet NoiseFromCounterMode(double sigma)
    {
        using var random = new CounterModeRandom(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        return GaussianNoise.Add(Zeros(N), sigma, random);
    }

    [Theory]
    [InlineData("system-random", 2.5)]
    [InlineData("counter-mode", 0.7)]
    public void Noise_has_mean_zero_and_the_requested_standard_deviation(string source, double sigma)
    {
        var values = NoiseFrom(source, sigma)["w"].Values;

        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (N - 1);
        double std = Math.Sqrt(variance);

        // The sample mean of n draws of N(0, σ²) is N(0, σ²/n): 4 standard errors is a two-sided 6e-5 false-alarm rate.
        Math.Abs(mean).ShouldBeLessThan(4 * sigma / Math.Sqrt(N));

        // (n − 1)s²/σ² is χ² with n − 1 degrees of freedom, so Var(s²) = 2σ⁴/(n − 1) and, by the delta method,
        // sd(s) ≈ σ / √(2(n − 1)) ≈ 0.0707% of σ at n = 1e6. A 0.5% band is about 7 standard errors: it cannot fail by
        // chance, yet catches a sampler off by a constant factor (e.g. Box–Muller with the wrong radius) at once.
        Math.Abs(std - sigma).ShouldBeLessThan(0.005 * sigma);
    }

    [Theory]
    [InlineData("system-random", 2.5)]
    [InlineData("counter-mode", 0.7)]
    public void Noise_has_normal_kurtosis(string source, double sigma)
    {
        var values = NoiseFrom(source, sigma)["w"].Values;
        double mean = values.Average(v => (double)v);
        double m2 = values.Sum(v => Math.Pow(v - mean, 2)) / N;
        double m4 = values.Sum(v => Math.Pow(v - mean, 4)) / N;

        // A normal's kurtosis m4/m2² is 3; the sample kurtosis has standard error √(24/n) ≈ 0.0049 at n = 1e6, so
        // ±0.025 is about 5 standard errors. Uniform (1.8) or Laplace (6) noise would be far outside.
        (m4 / (m2 * m2)).ShouldBe(3.0, tolerance: 0.025);
    }

    [Theory]
    [InlineData("system-random", 2.5)]
    [InlineData("counter-mode", 0.7)]
    public void Noise_passes_a_kolmogorov_smirnov_test_against_the_normal_cdf(string source, double sigma)
    {
        var values = NoiseFrom(source, sigma)["w"].Values.Select(v => v / sigma).ToArray();
        Array.Sort(values);

        double d = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double cdf = NormalDistribution.Cdf(values[i]);
            d = Math.Max(d, Math.Max(((i + 1.0) / N) - cdf, cdf - ((double)i / N)));
        }

        // Under the null hypothesis √n·D follows the Kolmogorov distribution, whose 99.9% quantile is 1.949.
        (Math.Sqrt(N) * d).ShouldBeLessThan(1.949);
    }

    [Fact]
    public void Same_seed_gives_the_same_noise_and_another_seed_does_not()
    {
        var update = Zeros(1000);

        var a = GaussianNoise.Add(update, 1.0, seed: 1)["w"].Values;
        var b = GaussianNoise.Add(update, 1.0, seed: 1)["w"].Values;
        var c = GaussianNoise.Add(update, 1.0, seed: 2)["w"].Values;

        a.ShouldBe(b);
        a.ShouldNotBe(c);
    }

    [Fact]
    public void Noise_is_added_to_the_input_which_is_left_untouched()
    {
        var update = new TensorSet([new Tensor("b", [3], [10f, 20f, 30f]), new Tensor("a", [2], [1f, 2f])]);

        var noisy = GaussianNoise.Add(update, 0.001, seed: 5);

        update["b"].Values.ShouldBe([10f, 20f, 30f]);
        noisy["b"].Values.Zip([10f, 20f, 30f]).ShouldAllBe(p => Math.Abs(p.First - p.Second) < 0.01f);
        noisy["a"].Shape.ShouldBe([2]);
        GaussianNoise.Add(update, 0.0, seed: 5)["b"].Values.ShouldBe([10f, 20f, 30f]);
    }

    [Fact]
    public void Standard_deviation_is_the_noise_multiplier_times_the_clipping_norm()
    {
        GaussianNoise.StandardDeviation(noiseMultiplier: 1.1, clippingNorm: 2.0).ShouldBe(2.2, tolerance: 1e-15);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Standard_deviation_must_be_non_negative_and_finite(double sigma)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => GaussianNoise.Add(Zeros(1), sigma, seed: 1));
    }
}
