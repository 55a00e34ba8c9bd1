using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Privacy;

public class L2ClippingTests
{
    private static TensorSet Update(float[] weight, float[] bias) => new(
    [
        new Tensor("linear.weight", [2, weight.Length / 2], weight),
        new Tensor("linear.bias", [bias.Length], bias),
    ]);

    private static TensorSet Random(int seed, int inputs, double scale)
    {
        var random = new Random(seed);
        float[] Draw(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * scale))];
        return Update(Draw(2 * inputs), Draw(2));
    }

    [Fact]
    public void Norm_is_taken_over_all_tensors_together()
    {
        // weight (3, 0, 0, 0) and bias (4, 0): the flat norm is 5, not max(3, 4) or 3 + 4.
        var update = Update([3f, 0f, 0f, 0f], [4f, 0f]);

        var (clipped, originalNorm, wasClipped) = L2Clipping.Clip(update, maxNorm: 1.0);

        originalNorm.ShouldBe(5.0);
        wasClipped.ShouldBeTrue();
        clipped["linear.weight"].Values[0].ShouldBe(0.6f, tolerance: 1e-6f);
        clipped["linear.bias"].Values[0].ShouldBe(0.8f, tolerance: 1e-6f);
    }

    [Theory]
    [InlineData(1, 784, 10.0, 1.0)]
    [InlineData(2, 784, 0.01, 0.5)]
    [InlineData(3, 10, 1000.0, 1e-3)]
    [InlineData(4, 100_000, 3.0, 2.5)]
    public void Clipped_norm_never_exceeds_the_bound(int seed, int inputs, double scale, double maxNorm)
    {
        var update = Random(seed, inputs, scale);

        var result = L2Clipping.Clip(update, maxNorm);

        // No tolerance: the clipper guarantees the bound as TensorSet.L2Norm measures it.
        result.Clipped.L2Norm().ShouldBeLessThanOrEqualTo(maxNorm);
        result.OriginalNorm.ShouldBe(update.L2Norm());
        if (result.WasClipped)
        {
            // Scaling, not truncation: the clipped norm is the bound up to float rounding, and the direction is kept.
            result.Clipped.L2Norm().ShouldBe(maxNorm, tolerance: maxNorm * 1e-6);
            double factor = maxNorm / result.OriginalNorm;
            result.Clipped["linear.bias"].Values[1].ShouldBe(update["linear.bias"].Values[1] * (float)factor, tolerance: 1e-6f);
        }
    }

    [Fact]
    public void Update_within_the_bound_is_returned_unchanged()
    {
        var update = Update([0.1f, 0.2f, 0.3f, 0.4f], [0.1f, 0.1f]);

        var result = L2Clipping.Clip(update, maxNorm: 1.0);

        result.WasClipped.ShouldBeFalse();
        result.OriginalNorm.ShouldBe(update.L2Norm());
        result.Clipped.ShouldBeSameAs(update);
    }

    [Fact]
    public void Input_is_not_modified()
    {
        var update = Update([30f, 0f, 0f, 0f], [40f, 0f]);

        L2Clipping.Clip(update, maxNorm: 1.0);

        update["linear.weight"].Values[0].ShouldBe(30f);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Bound_must_be_positive_and_finite(double maxNorm)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => L2Clipping.Clip(Update([1f, 0f, 0f, 0f], [0f, 0f]), maxNorm));
    }

    [Fact]
    public void Non_finite_update_is_rejected()
    {
        var error = Should.Throw<ArgumentException>(() => L2Clipping.Clip(Update([float.NaN, 0f, 0f, 0f], [0f, 0f]), 1.0));

        error.Message.ShouldContain("tensor 'linear.weight' has NaN at index 0");
    }
}
