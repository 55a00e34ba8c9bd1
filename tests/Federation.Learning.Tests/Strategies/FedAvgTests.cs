using Federation.Learning.Aggregation;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

public class FedAvgTests
{
    [Fact]
    public void Step_is_the_sample_weighted_mean_of_the_deltas_added_to_the_global_model()
    {
        var global = Updates.Vector(10, 20, 30);
        ClientUpdate[] updates =
        [
            Updates.Of("a", [1, 2, 3], samples: 1),
            Updates.Of("b", [4, 5, 6], samples: 2),
            Updates.Of("c", [7.5f, -8, 0.1f], samples: 3),
        ];

        var result = new FedAvg().Aggregate(global, updates, state: null);

        // (1 + 8 + 22.5) / 6 = 5.25, (2 + 10 − 24) / 6 = −2, (3 + 12 + 0.3) / 6 = 2.55.
        result.W().ShouldBe([15.25f, 18f, 32.55f], tolerance: 1e-5f);
        result.State.ShouldBeNull();
        result.SelectedClientIds.ShouldBe(["a", "b", "c"]);
        result.Metrics["updates"].ShouldBe(3);
        result.Metrics["samples"].ShouldBe(6);
        result.Metrics["step_l2"].ShouldBe(Math.Sqrt((5.25 * 5.25) + 4 + (2.55 * 2.55)), tolerance: 1e-5);
    }

    [Fact]
    public void Step_equals_the_FedAvgAccumulator_arithmetic_bit_for_bit()
    {
        var global = Updates.Random(100);
        var updates = Updates.RandomUpdates(5, seed: 7);
        var accumulator = new FedAvgAccumulator(global);
        foreach (var update in updates)
        {
            accumulator.Add(update.Delta, update.SampleCount);
        }

        var average = accumulator.Average();

        var result = new FedAvg().Aggregate(global, updates, null);

        foreach (var tensor in result.Model)
        {
            var expected = global[tensor.Name].Values.Zip(average[tensor.Name].Values, (g, a) => g + a).ToArray();
            tensor.Values.ShouldBe(expected);
        }
    }

    [Fact]
    public void Inputs_are_not_modified()
    {
        var global = Updates.Random(1);
        var updates = Updates.RandomUpdates(3, seed: 2);
        var globalBytes = Updates.Bytes(global);
        var updateBytes = updates.Select(u => Updates.Bytes(u.Delta)).ToList();

        var result = new FedAvg().Aggregate(global, updates, null);

        Updates.Bytes(global).ShouldBe(globalBytes);
        updates.Select(u => Updates.Bytes(u.Delta)).ToList().ShouldBe(updateBytes);
        result.Model[0].Values.ShouldNotBeSameAs(global[0].Values);
    }

    [Fact]
    public void FedProx_aggregates_like_FedAvg_and_sends_mu_to_the_clients()
    {
        var global = Updates.Random(1);
        var updates = Updates.RandomUpdates(4, seed: 3);
        var fedProx = new FedProx(proximalMu: 0.01);

        var prox = fedProx.Aggregate(global, updates, null);
        var avg = new FedAvg().Aggregate(global, updates, null);

        Updates.Bytes(prox.Model).ShouldBe(Updates.Bytes(avg.Model));
        var settings = fedProx.ConfigureRound().ClientSettings;
        settings.Count.ShouldBe(1);
        settings["proximal_mu"].ShouldBe(0.01);
        new FedAvg().ConfigureRound().ClientSettings.ShouldBeEmpty();
    }
}
