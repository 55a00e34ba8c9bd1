using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

public class ValidationTests
{
    public static TheoryData<string> AllStrategies => [.. AggregationStrategies.Names.Where(n => n != "fedprox")];

    private static IAggregationStrategy Create(string name) => AggregationStrategies.Create(name, null);

    /// <summary>Enough valid updates for every strategy with default parameters (Bulyan with f = 0 needs 3).</summary>
    private static List<ClientUpdate> Valid() => Updates.RandomUpdates(3, seed: 1);

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void An_update_with_a_different_shape_is_refused_naming_the_client(string name)
    {
        var updates = Valid();
        updates[1] = updates[1] with
        {
            Delta = new TensorSet([new Tensor("a", [3, 2], new float[6]), new Tensor("b", [3], new float[3])]),
        };

        var error = Should.Throw<StrategyInputException>(() => Create(name).Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldBe("update 1 from client 'client-1' does not match the global model: tensor 'a' has shape [3, 2]; expected [2, 3]");
        error.ClientId.ShouldBe("client-1");
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void An_update_missing_a_tensor_is_refused(string name)
    {
        var updates = Valid();
        updates[2] = updates[2] with { Delta = new TensorSet([updates[2].Delta["a"]]) };

        var error = Should.Throw<StrategyInputException>(() => Create(name).Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldBe("update 2 from client 'client-2' does not match the global model: missing tensor 'b'");
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void An_update_with_NaN_is_refused(string name)
    {
        var updates = Valid();
        updates[0].Delta["b"].Values[1] = float.NaN;

        var error = Should.Throw<StrategyInputException>(() => Create(name).Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldBe("update 0 from client 'client-0' has a non-finite value: tensor 'b' has NaN at index 1");
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void An_update_with_an_infinity_is_refused(float value)
    {
        var updates = Valid();
        updates[2].Delta["a"].Values[5] = value;

        var error = Should.Throw<StrategyInputException>(() => new FedAvg().Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldStartWith("update 2 from client 'client-2' has a non-finite value: tensor 'a' has ");
        error.Message.ShouldEndWith(" at index 5");
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void A_non_positive_sample_count_is_refused(string name)
    {
        var updates = Valid();
        updates[1] = updates[1] with { SampleCount = 0 };

        var error = Should.Throw<StrategyInputException>(() => Create(name).Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldBe("update 1 from client 'client-1' has sample count 0; it must be positive");
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void A_client_contributing_twice_is_refused(string name)
    {
        var updates = Valid();
        updates[2] = updates[2] with { ClientId = "client-0" };

        var error = Should.Throw<StrategyInputException>(() => Create(name).Aggregate(Updates.Random(0), updates, null));

        error.Message.ShouldBe("updates 0 and 2 both come from client 'client-0'; a client contributes once per aggregation");
    }

    [Theory]
    [MemberData(nameof(AllStrategies))]
    public void No_updates_is_refused(string name)
    {
        var strategy = Create(name);

        var error = Should.Throw<StrategyInputException>(() => strategy.Aggregate(Updates.Random(0), [], null));

        error.Message.ShouldStartWith($"{name} needs ");
        error.Message.ShouldEndWith(strategy.ConfigureRound().MinimumUpdates > 1 ? ", but 0 were given" : "at least one update, but none were given");
    }

    [Fact]
    public void A_non_finite_global_model_is_refused()
    {
        var global = Updates.Random(0);
        global["a"].Values[0] = float.NaN;

        var error = Should.Throw<StrategyInputException>(() => new FedAvg().Aggregate(global, Valid(), null));

        error.Message.ShouldBe("the global model has a non-finite value: tensor 'a' has NaN at index 0");
    }

    [Fact]
    public void An_aggregate_that_overflows_float32_is_refused()
    {
        ClientUpdate[] updates = [Updates.Of("a", [3e38f]), Updates.Of("b", [3e38f])];

        var error = Should.Throw<StrategyInputException>(() => new FedMedian().Aggregate(Updates.Vector(3e38f), updates, null));

        error.Message.ShouldStartWith("fedmedian produced a non-finite model");
    }

    [Fact]
    public void An_update_can_be_checked_on_arrival()
    {
        var bad = Updates.Of("late", [float.PositiveInfinity]);

        var error = Should.Throw<StrategyInputException>(() => UpdateValidation.CheckUpdate(Updates.Vector(0), bad));

        error.Message.ShouldBe("the update from client 'late' has a non-finite value: tensor 'w' has Infinity at index 0");
        error.ClientId.ShouldBe("late");
        UpdateValidation.CheckUpdate(Updates.Vector(0), Updates.Of("fine", [1]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(500)]
    [InlineData(1_000)]
    [InlineData(1_002)]
    public void Non_finite_values_are_found_anywhere_in_a_long_tensor(int index)
    {
        var values = Enumerable.Range(0, 1_003).Select(i => (float)Math.Sin(i)).ToArray();
        values[1] = float.MaxValue;
        values[2] = -float.MaxValue;
        values[3] = float.Epsilon;
        values[4] = -0f;
        UpdateValidation.CheckUpdate(Updates.Vector(new float[values.Length]), Updates.Of("fine", values));

        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)) })
        {
            var copy = (float[])values.Clone();
            copy[index] = bad;

            var error = Should.Throw<StrategyInputException>(
                () => UpdateValidation.CheckUpdate(Updates.Vector(new float[values.Length]), Updates.Of("bad", copy)));

            error.Message.ShouldEndWith($" at index {index}");
        }
    }
}
