using Federation.Learning.Data;

namespace Federation.Learning.Tests.Data;

public class DirichletPartitionerTests
{
    private const int Classes = 10;

    /// <summary>1,000 samples of each of 10 classes, interleaved.</summary>
    private static byte[] BalancedLabels() => Enumerable.Range(0, 10_000).Select(i => (byte)(i % Classes)).ToArray();

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.5)]
    [InlineData(1000.0)]
    public void Every_index_lands_in_exactly_one_part_in_ascending_order(double alpha)
    {
        var labels = BalancedLabels();

        var parts = DirichletPartitioner.Split(labels, Classes, parts: 7, alpha, seed: 1);

        parts.Length.ShouldBe(7);
        parts.SelectMany(p => p).Order().ShouldBe(Enumerable.Range(0, labels.Length));
        parts.ShouldAllBe(p => p.SequenceEqual(p.Order()));
    }

    [Fact]
    public void Same_seed_gives_the_same_split()
    {
        var first = DirichletPartitioner.Split(BalancedLabels(), Classes, 5, 0.5, seed: 42);
        var second = DirichletPartitioner.Split(BalancedLabels(), Classes, 5, 0.5, seed: 42);

        second.ShouldBe(first);
    }

    [Fact]
    public void Different_seeds_give_different_splits()
    {
        var first = DirichletPartitioner.Split(BalancedLabels(), Classes, 5, 0.5, seed: 1);
        var second = DirichletPartitioner.Split(BalancedLabels(), Classes, 5, 0.5, seed: 2);

        second.ShouldNotBe(first);
    }

    [Fact]
    public void Small_alpha_gives_each_part_a_dominant_class_while_large_alpha_is_near_uniform()
    {
        double skewed = MeanDominantClassShare(alpha: 0.1);
        double uniform = MeanDominantClassShare(alpha: 1000);

        // A perfectly uniform part has a dominant share of 1/10.
        skewed.ShouldBeGreaterThan(0.5);
        uniform.ShouldBeLessThan(0.15);
    }

    [Fact]
    public void Large_alpha_gives_parts_of_nearly_equal_size()
    {
        var parts = DirichletPartitioner.Split(BalancedLabels(), Classes, parts: 4, alpha: 1000, seed: 3);

        parts.ShouldAllBe(p => Math.Abs(p.Length - 2500) < 150);
    }

    [Fact]
    public void Split_rejects_a_label_outside_the_classes()
    {
        Should.Throw<ArgumentException>(() => DirichletPartitioner.Split([0, 1, 9], classCount: 3, parts: 2, alpha: 1, seed: 0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Split_rejects_an_alpha_that_is_not_positive_and_finite(double alpha)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => DirichletPartitioner.Split([0, 1], 2, 2, alpha, seed: 0));
    }

    /// <summary>The share of each non-empty part taken by its most frequent class, averaged over parts.</summary>
    private static double MeanDominantClassShare(double alpha)
    {
        var labels = BalancedLabels();
        var parts = DirichletPartitioner.Split(labels, Classes, parts: 10, alpha, seed: 7);
        return parts
            .Where(p => p.Length > 0)
            .Average(p => p.GroupBy(i => labels[i]).Max(g => g.Count()) / (double)p.Length);
    }
}
