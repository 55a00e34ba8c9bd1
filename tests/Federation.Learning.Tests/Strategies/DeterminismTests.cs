using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

public class DeterminismTests
{
    public static TheoryData<string> AllStrategies => [.. AggregationStrategies.Names];

    public static TheoryData<string> StreamingStrategies => ["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad"];

    private static IReadOnlyDictionary<string, double> ParametersFor(string name) => name switch
    {
        "fedprox" => new Dictionary<string, double> { ["proximal_mu"] = 0.1 },
        "krum" or "multi-krum" or "bulyan" => new Dictionary<string, double> { ["f"] = 1 },
        _ => new Dictionary<string, double>(),
    };

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void The_same_inputs_give_bit_identical_models_and_states(string name)
    {
        var first = Run();
        var second = Run();

        Updates.Bytes(second.Model).ShouldBe(Updates.Bytes(first.Model));
        second.State?.ToSafeTensors().ShouldBe(first.State!.ToSafeTensors());
        second.Metrics.ShouldBe(first.Metrics);
        second.SelectedClientIds.ShouldBe(first.SelectedClientIds);

        AggregationResult Run()
        {
            // Fresh objects and a fresh strategy each time: nothing may be cached between calls.
            var strategy = AggregationStrategies.Create(name, ParametersFor(name));
            var round1 = strategy.Aggregate(Updates.Random(5), Updates.RandomUpdates(7, seed: 50), null);
            return strategy.Aggregate(round1.Model, Updates.RandomUpdates(7, seed: 60), round1.State);
        }
    }

    [Theory]
    [MemberData(nameof(StreamingStrategies))]
    public void Averaging_strategies_enumerate_the_updates_exactly_once(string name)
    {
        var strategy = AggregationStrategies.Create(name, ParametersFor(name));
        var global = Updates.Random(5);
        var updates = new SingleUse<ClientUpdate>(LazyUpdates(4));

        var result = strategy.Aggregate(global, updates, null);

        updates.Enumerations.ShouldBe(1);
        updates.Yielded.ShouldBe(4);
        Updates.Bytes(result.Model).ShouldBe(Updates.Bytes(strategy.Aggregate(global, LazyUpdates(4).ToList(), null).Model));
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void Robust_strategies_also_enumerate_the_updates_only_once(string name)
    {
        var strategy = AggregationStrategies.Create(name, ParametersFor(name));
        var updates = new SingleUse<ClientUpdate>(LazyUpdates(7));

        strategy.Aggregate(Updates.Random(5), updates, null);

        updates.Enumerations.ShouldBe(1);
    }

    [Fact]
    public void FedAvg_depends_on_update_order_only_through_float32_rounding()
    {
        // In float32, 1e8 + 1 rounds back to 1e8, so the order of addition shows in the result.
        ClientUpdate[] updates = [Updates.Of("a", [1e8f]), Updates.Of("b", [1f]), Updates.Of("c", [-1e8f])];
        var global = Updates.Vector(0);

        var forward = new FedAvg().Aggregate(global, updates, null).W()[0];
        var reordered = new FedAvg().Aggregate(global, [updates[0], updates[2], updates[1]], null).W()[0];

        forward.ShouldBe(0f);
        reordered.ShouldBe(1f / 3);
    }

    /// <summary>Updates created only when enumerated, as an aggregator streaming them from storage would.</summary>
    private static IEnumerable<ClientUpdate> LazyUpdates(int count)
    {
        for (int k = 0; k < count; k++)
        {
            yield return new ClientUpdate($"lazy-{k}", Updates.Random(200 + k), k + 1);
        }
    }
}
