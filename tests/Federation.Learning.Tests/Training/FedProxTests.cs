using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Learning.Tests.Training;

public class FedProxTests
{
    private static readonly Dataset Blobs = SyntheticData.Blobs(classes: 3, features: 4, perClass: 60, seed: 5);
    private static readonly TrainingOptions Options = new(Epochs: 10, BatchSize: 16, LearningRate: 0.1f, Seed: 9);

    public static TheoryData<string> Models => ["logistic", "mlp"];

    private static ModelSpec Spec(string model) =>
        model == "logistic" ? ModelSpec.LogisticRegression(inputs: 4, classes: 3) : ModelSpec.Mlp(inputs: 4, hidden: 16, classes: 3);

    private static double DistanceFrom(TensorSet trained, TensorSet start) => trained.Subtract(start).L2Norm();

    [Theory]
    [MemberData(nameof(Models))]
    public void Zero_mu_is_plain_SGD_bit_for_bit(string model)
    {
        var spec = Spec(model);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);

        var plain = SgdTrainer.Train(spec, initial, Blobs, Options);
        var proximal = SgdTrainer.Train(spec, initial, Blobs, Options with { ProximalMu = 0f });

        Options.ProximalMu.ShouldBe(0f);
        SafeTensors.Write(proximal).ShouldBe(SafeTensors.Write(plain));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_larger_mu_keeps_the_weights_closer_to_the_start(string model)
    {
        var spec = Spec(model);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);

        double plain = DistanceFrom(SgdTrainer.Train(spec, initial, Blobs, Options), initial);
        double small = DistanceFrom(SgdTrainer.Train(spec, initial, Blobs, Options with { ProximalMu = 0.1f }), initial);
        double large = DistanceFrom(SgdTrainer.Train(spec, initial, Blobs, Options with { ProximalMu = 5f }), initial);

        small.ShouldBeLessThan(plain);
        large.ShouldBeLessThan(small);
        large.ShouldBeLessThan(plain / 3);
    }

    [Fact]
    public void Proximal_step_is_the_gradient_of_mu_over_2_times_the_squared_distance()
    {
        // On a batch whose loss gradient is g, one step is w1 = w0 − lr·g (w = w0 at the first step, so the proximal
        // term is 0); the second step adds lr·μ·(w1 − w0). Compare two steps with and without μ on one sample.
        var spec = ModelSpec.LogisticRegression(inputs: 4, classes: 3);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);
        var data = SyntheticData.Noise(classes: 3, features: 4, count: 1, seed: 2);
        var oneStep = new TrainingOptions(Epochs: 1, BatchSize: 1, LearningRate: 0.5f, Seed: 1);
        const float Mu = 0.3f;

        var w1 = SgdTrainer.Train(spec, initial, data, oneStep);
        var w2Plain = SgdTrainer.Train(spec, initial, data, oneStep with { Epochs = 2 });
        var w2Prox = SgdTrainer.Train(spec, initial, data, oneStep with { Epochs = 2, ProximalMu = Mu });

        SafeTensors.Write(SgdTrainer.Train(spec, initial, data, oneStep with { ProximalMu = Mu })).ShouldBe(SafeTensors.Write(w1));
        foreach (var tensor in w2Prox)
        {
            var expected = w2Plain[tensor.Name].Values
                .Select((v, i) => v - (0.5f * Mu * (w1[tensor.Name].Values[i] - initial[tensor.Name].Values[i])))
                .ToArray();
            tensor.Values.ShouldBe(expected, tolerance: 1e-6f);
        }
    }

    [Fact]
    public void A_negative_or_non_finite_mu_is_refused()
    {
        var spec = Spec("logistic");

        Should.Throw<ArgumentOutOfRangeException>(() => SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options with { ProximalMu = -0.1f }));
        Should.Throw<ArgumentOutOfRangeException>(() => SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options with { ProximalMu = float.NaN }));
    }
}
