using Federation.Learning.Privacy;

namespace Federation.Learning.Tests.Privacy;

public class NormalDistributionTests
{
    // erf to 16 digits: Abramowitz and Stegun, Handbook of Mathematical Functions, Table 7.1 (15 decimals),
    // matching CPython's math.erf to the last digit shown.
    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    public void Erfc_matches_tabulated_erf(double x, double erf)
    {
        NormalDistribution.Erfc(x).ShouldBe(1 - erf, tolerance: 1e-15);
        NormalDistribution.Erfc(-x).ShouldBe(1 + erf, tolerance: 1e-15);
    }

    [Fact]
    public void Erfc_is_continuous_where_the_series_hands_over_to_the_continued_fraction()
    {
        double below = NormalDistribution.Erfc(Math.BitDecrement(2.0));
        double at = NormalDistribution.Erfc(2.0);

        // d/dx erfc(x) = −2/√π e^(−x²); one ulp below 2 the values must agree to rounding.
        (Math.Abs(below - at) / at).ShouldBeLessThan(1e-13);
    }

    [Theory]
    [InlineData(30.0)]
    [InlineData(100.0)]
    [InlineData(1_000.0)]
    [InlineData(50_000.0)]
    public void Log_erfc_follows_the_asymptotic_expansion_far_in_the_tail(double x)
    {
        // erfc(x) ~ e^(−x²) / (x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶)), A&S 7.1.23; the next term is below 1e-8 at x = 30.
        double x2 = x * x;
        double series = 1 - (1 / (2 * x2)) + (3 / (4 * x2 * x2)) - (15 / (8 * x2 * x2 * x2));
        double expected = -x2 - Math.Log(x * Math.Sqrt(Math.PI)) + Math.Log(series);

        NormalDistribution.LogErfc(x).ShouldBe(expected, tolerance: Math.Abs(expected) * 1e-12);
    }

    [Fact]
    public void Log_erfc_of_a_very_negative_argument_is_log_two()
    {
        NormalDistribution.LogErfc(-40).ShouldBe(Math.Log(2), tolerance: 1e-15);
        NormalDistribution.LogErfc(double.PositiveInfinity).ShouldBe(double.NegativeInfinity);
    }

    [Fact]
    public void Cdf_hits_known_quantiles()
    {
        NormalDistribution.Cdf(0).ShouldBe(0.5, tolerance: 1e-16);

        // 1.959963984540054 is the 97.5% quantile of N(0, 1).
        NormalDistribution.Cdf(1.959963984540054).ShouldBe(0.975, tolerance: 1e-15);
        NormalDistribution.Cdf(-1.959963984540054).ShouldBe(0.025, tolerance: 1e-15);
    }
}
