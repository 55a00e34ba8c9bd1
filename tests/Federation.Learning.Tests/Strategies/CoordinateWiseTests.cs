using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

/// <summary>FedMedian and the trimmed mean against hand computations and a naive per-coordinate sort.</summary>
public class CoordinateWiseTests
{
    private static readonly TensorSet Zero1 = Updates.Vector(0);
    private static readonly TensorSet Zero2 = Updates.Vector(0, 0);

    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value_per_coordinate()
    {
        var result = new FedMedian().Aggregate(Updates.Vector(100, 200), Updates.Rows([3, -1], [1, 5], [2, 0]), null);

        result.W().ShouldBe([102f, 200f]);
        result.SelectedClientIds.ShouldBe(["c0", "c1", "c2"]);
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_two_middle_values()
    {
        var result = new FedMedian().Aggregate(Zero2, Updates.Rows([1, -3], [4, -1], [2, 8], [10, 0.5f]), null);

        // Sorted: 1, 2, 4, 10 → 3; −3, −1, 0.5, 8 → −0.25.
        result.W().ShouldBe([3f, -0.25f]);
    }

    [Fact]
    public void Median_with_ties_and_with_two_values()
    {
        new FedMedian().Aggregate(Zero1, Updates.Rows([5], [5], [1], [5]), null).W().ShouldBe([5f]);
        new FedMedian().Aggregate(Zero1, Updates.Rows([5], [1], [1], [5]), null).W().ShouldBe([3f]);
        new FedMedian().Aggregate(Zero1, Updates.Rows([7], [-7]), null).W().ShouldBe([0f]);
        new FedMedian().Aggregate(Zero1, Updates.Rows([7]), null).W().ShouldBe([7f]);
    }

    [Fact]
    public void Median_ignores_sample_counts()
    {
        ClientUpdate[] updates = [Updates.Of("a", [1], 1000), Updates.Of("b", [2], 1), Updates.Of("c", [3], 1)];

        new FedMedian().Aggregate(Zero1, updates, null).W().ShouldBe([2f]);
    }

    [Fact]
    public void Trimmed_mean_drops_k_values_at_each_end_per_coordinate()
    {
        var strategy = TrimmedMean.WithTrimCount(1);

        var result = strategy.Aggregate(Zero2, Updates.Rows([1, 50], [2, -3], [3, 0], [4, 1], [100, 2]), null);

        // Sorted 1, 2, 3, 4, 100 → (2 + 3 + 4) / 3; sorted −3, 0, 1, 2, 50 → (0 + 1 + 2) / 3.
        result.W().ShouldBe([3f, 1f]);
        result.Metrics["trimmed_per_side"].ShouldBe(1);
    }

    [Fact]
    public void Trimmed_mean_with_an_even_count_and_ties()
    {
        var result = TrimmedMean.WithTrimCount(1).Aggregate(Zero1, Updates.Rows([5], [1], [5], [9], [5], [-7]), null);

        // Sorted −7, 1, 5, 5, 5, 9 → (1 + 5 + 5 + 5) / 4.
        result.W().ShouldBe([4f]);
    }

    [Theory]
    [InlineData(0.2, 5, 1)]
    [InlineData(0.2, 4, 0)]
    [InlineData(0.25, 4, 1)]
    [InlineData(0.49, 7, 3)]
    [InlineData(0.0, 9, 0)]
    public void Trimmed_mean_beta_trims_floor_of_beta_times_n_per_side_like_Flower(double beta, int n, int k)
    {
        new TrimmedMean(beta).TrimmedPerSide(n).ShouldBe(k);
    }

    [Fact]
    public void Trimmed_mean_with_k_zero_is_the_plain_mean()
    {
        var result = TrimmedMean.WithTrimCount(0).Aggregate(Zero1, Updates.Rows([1], [2], [6]), null);

        result.W().ShouldBe([3f]);
    }

    [Fact]
    public void Trimmed_mean_refuses_two_k_or_fewer_updates()
    {
        var error = Should.Throw<StrategyInputException>(
            () => TrimmedMean.WithTrimCount(2).Aggregate(Zero1, Updates.Rows([1], [2], [3], [4]), null));

        error.Message.ShouldBe("trimmed-mean needs more than 2k = 4 updates (k = 2), but 4 were given");
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 31)]
    [InlineData(3, 70_003)]
    [InlineData(4, 1_000)]
    [InlineData(7, 40_001)]
    [InlineData(8, 9)]
    [InlineData(16, 4_099)]
    [InlineData(17, 20_000)]
    [InlineData(32, 8_193)]
    [InlineData(33, 3_001)]
    [InlineData(100, 777)]
    public void Median_and_trimmed_mean_match_a_naive_sort_of_every_coordinate(int n, int length)
    {
        var random = new Random((n * 1000) + length);
        var rows = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, length)
            .Select(_ => random.Next(10) == 0 ? random.Next(-3, 3) * 0.5f : (float)((random.NextDouble() - 0.5) * 100))
            .ToArray()).ToArray();
        var updates = Updates.Rows(rows);
        var global = Updates.Vector(new float[length]);
        int k = n / 3;

        var median = new FedMedian().Aggregate(global, updates, null).W();
        var trimmed = TrimmedMean.WithTrimCount(k).Aggregate(global, updates, null).W();

        for (int i = 0; i < length; i++)
        {
            var sorted = rows.Select(r => r[i]).Order().ToArray();
            float expectedMedian = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2f;
            float sum = sorted[k];
            for (int r = k + 1; r < n - k; r++)
            {
                sum += sorted[r];
            }

            median[i].ShouldBe(0f + expectedMedian);
            trimmed[i].ShouldBe(0f + (sum / (n - (2 * k))));
        }
    }

    [Fact]
    public void Coordinate_wise_results_do_not_depend_on_the_order_of_the_updates()
    {
        var global = Updates.Random(3);
        var updates = Updates.RandomUpdates(6, seed: 40);
        var reversed = Enumerable.Reverse(updates).ToList();

        foreach (var strategy in new IAggregationStrategy[] { new FedMedian(), TrimmedMean.WithTrimCount(2) })
        {
            Updates.Bytes(strategy.Aggregate(global, reversed, null).Model)
                .ShouldBe(Updates.Bytes(strategy.Aggregate(global, updates, null).Model));
        }
    }
}
