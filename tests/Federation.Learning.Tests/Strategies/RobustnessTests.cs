using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

public class RobustnessTests
{
    private static readonly float[] Honest = [1, -2, 0.5f, 3];

    /// <summary>n − 1 honest updates near <see cref="Honest"/> and, last, one sign-flipped and scaled by 10.</summary>
    private static List<ClientUpdate> Poisoned(int n)
    {
        var random = new Random(n);
        var updates = Enumerable.Range(0, n - 1)
            .Select(k => Updates.Of($"honest-{k}", [.. Honest.Select(h => h + (float)((random.NextDouble() - 0.5) * 0.1))], 100))
            .ToList();
        updates.Add(Updates.Of("attacker", [.. Honest.Select(h => -10 * h)], 100));
        return updates;
    }

    private static double DistanceToHonest(AggregationResult result) =>
        Math.Sqrt(result.W().Zip(Honest, (a, h) => (double)(a - h) * (a - h)).Sum());

    private static readonly double HonestNorm = Math.Sqrt(Honest.Sum(h => (double)h * h));

    [Fact]
    public void One_sign_flipped_update_drags_FedAvg_far_from_the_honest_mean()
    {
        var result = new FedAvg().Aggregate(Updates.Vector(new float[4]), Poisoned(5), null);

        // (4·h − 10·h) / 5 = −1.2·h, which is 2.2·‖h‖ away from h.
        DistanceToHonest(result).ShouldBeGreaterThan(2 * HonestNorm);
    }

    [Theory]
    [InlineData("fedmedian", 5)]
    [InlineData("trimmed-mean", 5)]
    [InlineData("krum", 5)]
    [InlineData("multi-krum", 5)]
    [InlineData("bulyan", 7)]
    public void Robust_strategies_stay_near_the_honest_mean(string name, int n)
    {
        var parameters = name is "fedmedian" or "trimmed-mean" ? new Dictionary<string, double>() : new() { ["f"] = 1 };
        var strategy = AggregationStrategies.Create(name, parameters);

        var result = strategy.Aggregate(Updates.Vector(new float[4]), Poisoned(n), null);

        DistanceToHonest(result).ShouldBeLessThan(0.1 * HonestNorm);
        if (name is "krum" or "multi-krum" or "bulyan")
        {
            result.SelectedClientIds.ShouldNotContain("attacker");
        }
    }
}
