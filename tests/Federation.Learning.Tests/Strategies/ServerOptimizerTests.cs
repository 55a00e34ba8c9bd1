using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

/// <summary>FedAvgM, FedAdam, FedYogi and FedAdagrad over two rounds, against hand computations.</summary>
public class ServerOptimizerTests
{
    private static (AggregationResult First, AggregationResult Second) TwoRounds(
        IAggregationStrategy strategy, float[] global, float[][] firstDeltas, float[][] secondDeltas)
    {
        var first = strategy.Aggregate(Updates.Vector(global), Updates.Rows(firstDeltas), state: null);
        var second = strategy.Aggregate(first.Model, Updates.Rows(secondDeltas), first.State);
        return (first, second);
    }

    [Fact]
    public void FedAvgM_accumulates_momentum_over_two_rounds()
    {
        var strategy = new FedAvgM(serverLearningRate: 0.5, serverMomentum: 0.9);
        var global = Updates.Vector(10, 20);

        // Round 1: mean of [1, 2]·1 and [3, 6]·3 = [2.5, 5]; v = [2.5, 5]; step = 0.5·v.
        var first = strategy.Aggregate(global, [Updates.Of("a", [1, 2], 1), Updates.Of("b", [3, 6], 3)], null);
        first.W().ShouldBe([11.25f, 22.5f]);
        first.State!.Round.ShouldBe(1);
        first.State.Tensors["v/w"].Values.ShouldBe([2.5f, 5f]);

        // Round 2: mean [1, −1]; v = 0.9·[2.5, 5] + [1, −1] = [3.25, 3.5]; step = [1.625, 1.75].
        var second = strategy.Aggregate(first.Model, [Updates.Of("a", [1, -1], 2)], first.State);
        second.W().ShouldBe([12.875f, 24.25f], tolerance: 1e-5f);
        second.State!.Round.ShouldBe(2);
        second.State.Tensors["v/w"].Values.ShouldBe([3.25f, 3.5f], tolerance: 1e-6f);
        second.Metrics["round"].ShouldBe(2);
    }

    [Fact]
    public void FedAvgM_with_zero_momentum_and_unit_rate_is_FedAvg_bit_for_bit()
    {
        var global = Updates.Random(4);
        var updates = Updates.RandomUpdates(3, seed: 11);

        var momentum = new FedAvgM(serverLearningRate: 1, serverMomentum: 0).Aggregate(global, updates, null);
        var plain = new FedAvg().Aggregate(global, updates, null);

        Updates.Bytes(momentum.Model).ShouldBe(Updates.Bytes(plain.Model));
    }

    [Fact]
    public void FedAdam_without_bias_correction_matches_Reddi_et_al_over_two_rounds()
    {
        var strategy = new FedAdam(eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9, biasCorrection: false);

        var (first, second) = TwoRounds(strategy, [0, 0], [[1, -2]], [[3, 0]]);

        // Round 1: m = 0.1·Δ = [0.1, −0.2]; v = 0.01·Δ² = [0.01, 0.04]; step = 0.1·m / sqrt(v) = [0.1, −0.1].
        first.W().ShouldBe([0.1f, -0.1f], tolerance: 1e-6f);
        first.State!.Tensors["m/w"].Values.ShouldBe([0.1f, -0.2f], tolerance: 1e-7f);
        first.State.Tensors["v/w"].Values.ShouldBe([0.01f, 0.04f], tolerance: 1e-8f);

        // Round 2: m = 0.9·m + 0.1·[3, 0] = [0.39, −0.18]; v = 0.99·v + 0.01·[9, 0] = [0.0999, 0.0396].
        second.State!.Tensors["m/w"].Values.ShouldBe([0.39f, -0.18f], tolerance: 1e-6f);
        second.State.Tensors["v/w"].Values.ShouldBe([0.0999f, 0.0396f], tolerance: 1e-7f);
        float[] step = [(float)(0.1 * 0.39 / Math.Sqrt(0.0999)), (float)(0.1 * -0.18 / Math.Sqrt(0.0396))];
        second.W().ShouldBe([0.1f + step[0], -0.1f + step[1]], tolerance: 1e-6f);
        second.State.Round.ShouldBe(2);
    }

    [Fact]
    public void FedAdam_bias_correction_scales_eta_as_Flower_does_with_exponent_round_plus_one()
    {
        var strategy = new FedAdam();

        var (first, second) = TwoRounds(strategy, [0, 0], [[1, -2]], [[3, 0]]);

        double eta1 = 0.1 * Math.Sqrt(1 - Math.Pow(0.99, 2)) / (1 - Math.Pow(0.9, 2));
        double eta2 = 0.1 * Math.Sqrt(1 - Math.Pow(0.99, 3)) / (1 - Math.Pow(0.9, 3));
        first.Metrics["effective_eta"].ShouldBe(eta1, tolerance: 1e-7);
        second.Metrics["effective_eta"].ShouldBe(eta2, tolerance: 1e-7);
        first.W().ShouldBe([(float)eta1, (float)-eta1], tolerance: 1e-6f);
        second.W().ShouldBe(
            [(float)(eta1 + (eta2 * 0.39 / Math.Sqrt(0.0999))), (float)(-eta1 + (eta2 * -0.18 / Math.Sqrt(0.0396)))],
            tolerance: 1e-6f);
    }

    [Fact]
    public void FedYogi_moves_the_second_moment_towards_the_squared_delta_from_either_side()
    {
        var strategy = new FedYogi(eta: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3);

        var (first, second) = TwoRounds(strategy, [0, 0], [[1, -2]], [[3, 0.1f]]);

        // Round 1: v = 0 − 0.01·Δ²·sign(0 − Δ²) = [0.01, 0.04]; m = [0.1, −0.2].
        first.State!.Tensors["v/w"].Values.ShouldBe([0.01f, 0.04f], tolerance: 1e-8f);
        float[] step1 = [(float)(0.01 * 0.1 / (0.1 + 1e-3)), (float)(0.01 * -0.2 / (0.2 + 1e-3))];
        first.W().ShouldBe(step1, tolerance: 1e-7f);

        // Round 2: Δ² = [9, 0.01]. v < Δ² grows: 0.01 + 0.01·9 = 0.1; v > Δ² shrinks: 0.04 − 0.01·0.01 = 0.0399.
        second.State!.Tensors["v/w"].Values.ShouldBe([0.1f, 0.0399f], tolerance: 1e-7f);
        second.State.Tensors["m/w"].Values.ShouldBe([0.39f, -0.17f], tolerance: 1e-6f);
        float[] step2 = [(float)(0.01 * 0.39 / (Math.Sqrt(0.1) + 1e-3)), (float)(0.01 * -0.17 / (Math.Sqrt(0.0399) + 1e-3))];
        second.W().ShouldBe([step1[0] + step2[0], step1[1] + step2[1]], tolerance: 1e-7f);
    }

    [Fact]
    public void FedAdagrad_sums_squared_deltas_and_by_default_has_no_momentum_like_Flower()
    {
        var strategy = new FedAdagrad(eta: 0.1, tau: 1e-9);

        var (first, second) = TwoRounds(strategy, [0, 0], [[1, -2]], [[3, 0]]);

        // Round 1: m = Δ, v = Δ² = [1, 4]; step = 0.1·[1/1, −2/2].
        first.W().ShouldBe([0.1f, -0.1f], tolerance: 1e-7f);
        first.State!.Tensors["v/w"].Values.ShouldBe([1f, 4f]);

        // Round 2: m = [3, 0], v = [10, 4]; step = 0.1·[3/sqrt(10), 0].
        second.State!.Tensors["m/w"].Values.ShouldBe([3f, 0f]);
        second.State.Tensors["v/w"].Values.ShouldBe([10f, 4f]);
        second.W().ShouldBe([(float)(0.1 + (0.3 / Math.Sqrt(10))), -0.1f], tolerance: 1e-6f);
    }

    [Fact]
    public void FedAdam_float32_arithmetic_is_as_documented_bit_for_bit()
    {
        var global = Updates.Random(21);
        var updates = Updates.RandomUpdates(3, seed: 5);
        var strategy = new FedAdam(eta: 0.05, beta1: 0.8, beta2: 0.95, tau: 1e-3);
        var first = strategy.Aggregate(global, updates, null);
        var secondUpdates = Updates.RandomUpdates(2, seed: 9);

        var second = strategy.Aggregate(first.Model, secondUpdates, first.State);

        var mean = new FedAvg().Aggregate(TensorSet.ZerosLike(global), secondUpdates, null).Model;
        float eta = (float)(0.05 * Math.Sqrt(1 - (0.95 * 0.95 * 0.95)) / (1 - (0.8 * 0.8 * 0.8)));
        foreach (var tensor in second.Model)
        {
            var m = first.State!.Tensors["m/" + tensor.Name].Values;
            var v = first.State.Tensors["v/" + tensor.Name].Values;
            var d = mean[tensor.Name].Values;
            var w = first.Model[tensor.Name].Values;
            for (int i = 0; i < d.Length; i++)
            {
                float mNew = (0.8f * m[i]) + ((float)(1 - 0.8) * d[i]);
                float vNew = (0.95f * v[i]) + ((float)(1 - 0.95) * (d[i] * d[i]));
                float expected = w[i] + ((eta * mNew) / (MathF.Sqrt(vNew) + 1e-3f));
                tensor.Values[i].ShouldBe(expected);
            }
        }
    }

    [Theory]
    [InlineData("fedavgm")]
    [InlineData("fedadam")]
    [InlineData("fedyogi")]
    [InlineData("fedadagrad")]
    public void State_survives_a_safetensors_round_trip_bit_for_bit(string name)
    {
        var strategy = AggregationStrategies.Create(name, null);
        var first = strategy.Aggregate(Updates.Random(1), Updates.RandomUpdates(3, seed: 2), null);
        var stored = first.State!.ToSafeTensors();
        var restored = StrategyState.FromSafeTensors(stored);
        var next = Updates.RandomUpdates(3, seed: 30);

        var fromMemory = strategy.Aggregate(first.Model, next, first.State);
        var fromBytes = strategy.Aggregate(first.Model, next, restored);

        restored.Strategy.ShouldBe(name);
        restored.Round.ShouldBe(1);
        Updates.Bytes(fromBytes.Model).ShouldBe(Updates.Bytes(fromMemory.Model));
        fromBytes.State!.ToSafeTensors().ShouldBe(fromMemory.State!.ToSafeTensors());
    }

    [Fact]
    public void A_state_from_another_strategy_is_refused()
    {
        var yogi = new FedYogi().Aggregate(Updates.Random(1), Updates.RandomUpdates(3, seed: 2), null);

        var error = Should.Throw<StrategyInputException>(
            () => new FedAdam().Aggregate(yogi.Model, Updates.RandomUpdates(3, seed: 4), yogi.State));

        error.Message.ShouldBe("the state was produced by 'fedyogi', not by 'fedadam'");
    }

    [Fact]
    public void A_state_for_another_model_layout_is_refused()
    {
        var first = new FedAdam().Aggregate(Updates.Vector(0, 0), [Updates.Of("a", [1, 2])], null);

        var error = Should.Throw<StrategyInputException>(
            () => new FedAdam().Aggregate(Updates.Vector(0, 0, 0), [Updates.Of("a", [1, 2, 3])], first.State));

        error.Message.ShouldBe("the fedadam state's tensor 'm/w' has shape [2]; expected [3]");
    }

    [Fact]
    public void A_state_with_an_extra_tensor_is_refused()
    {
        var first = new FedAvgM().Aggregate(Updates.Vector(0, 0), [Updates.Of("a", [1, 2])], null);
        var tampered = first.State! with
        {
            Tensors = new TensorSet([.. first.State.Tensors, new Tensor("v/x", [1], [0f])]),
        };

        var error = Should.Throw<StrategyInputException>(
            () => new FedAvgM().Aggregate(first.Model, [Updates.Of("a", [1, 2])], tampered));

        error.Message.ShouldBe("the fedavgm state has unexpected tensor 'v/x'");
    }

    [Fact]
    public void A_stateless_strategy_refuses_a_state()
    {
        var first = new FedAvgM().Aggregate(Updates.Vector(0), [Updates.Of("a", [1])], null);

        var error = Should.Throw<StrategyInputException>(
            () => new FedAvg().Aggregate(first.Model, [Updates.Of("a", [1])], first.State));

        error.Message.ShouldBe("fedavg keeps no state, but a state from 'fedavgm' was given");
    }

    [Fact]
    public void A_state_with_a_negative_second_moment_is_refused()
    {
        var first = new FedAdam().Aggregate(Updates.Vector(0, 0), [Updates.Of("a", [1, 2])], null);
        first.State!.Tensors["v/w"].Values[1] = -1e-3f;

        var error = Should.Throw<StrategyInputException>(
            () => new FedAdam().Aggregate(first.Model, [Updates.Of("a", [1, 2])], first.State));

        error.Message.ShouldBe("the fedadam state's second moment 'v/w' has a negative value");
    }
}
