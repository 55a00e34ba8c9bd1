using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Learning.Tests.Training;

public class SgdTrainerTests
{
    private static readonly Dataset Blobs = SyntheticData.Blobs(classes: 3, features: 4, perClass: 100, seed: 5);
    private static readonly TrainingOptions Options = new(Epochs: 20, BatchSize: 16, LearningRate: 0.1f, Seed: 9);

    public static TheoryData<string> Models => ["logistic", "mlp"];

    private static ModelSpec Spec(string model) =>
        model == "logistic" ? ModelSpec.LogisticRegression(inputs: 4, classes: 3) : ModelSpec.Mlp(inputs: 4, hidden: 16, classes: 3);

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_on_separable_blobs_lowers_the_loss_and_reaches_high_accuracy(string model)
    {
        var spec = Spec(model);
        var initial = spec.Initialize(seed: 1);
        var before = Evaluator.Evaluate(spec, initial, Blobs);

        var trained = SgdTrainer.Train(spec, initial, Blobs, Options);
        var after = Evaluator.Evaluate(spec, trained, Blobs);

        after.Loss.ShouldBeLessThan(before.Loss / 5);
        after.Accuracy.ShouldBeGreaterThan(0.95);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Same_seed_gives_bit_identical_parameters(string model)
    {
        var spec = Spec(model);

        var first = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options);
        var second = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options);

        SafeTensors.Write(second).ShouldBe(SafeTensors.Write(first));
    }

    [Fact]
    public void Different_seeds_visit_samples_in_a_different_order()
    {
        var spec = Spec("logistic");

        var first = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options);
        var second = SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options with { Seed = 10 });

        SafeTensors.Write(second).ShouldNotBe(SafeTensors.Write(first));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_does_not_modify_the_initial_parameters(string model)
    {
        var spec = Spec(model);
        var initial = SyntheticData.Randomized(spec.Initialize(1), seed: 3);
        var snapshot = SafeTensors.Write(initial);

        var trained = SgdTrainer.Train(spec, initial, Blobs, Options);

        SafeTensors.Write(initial).ShouldBe(snapshot);
        trained.ShouldNotBeSameAs(initial);
    }

    [Fact]
    public void Zero_epochs_returns_a_copy_of_the_initial_parameters()
    {
        var spec = Spec("mlp");
        var initial = spec.Initialize(1);

        var trained = SgdTrainer.Train(spec, initial, Blobs, Options with { Epochs = 0 });

        SafeTensors.Write(trained).ShouldBe(SafeTensors.Write(initial));
        trained[0].Values.ShouldNotBeSameAs(initial[0].Values);
    }

    [Fact]
    public void Training_rejects_parameters_of_another_architecture()
    {
        var initial = Spec("mlp").Initialize(1);

        Should.Throw<ArgumentException>(() => SgdTrainer.Train(Spec("logistic"), initial, Blobs, Options))
            .Message.ShouldContain("the parameters do not match the model spec: unexpected tensor 'hidden.bias'");
    }

    [Fact]
    public void Training_rejects_data_with_the_wrong_feature_count()
    {
        var spec = ModelSpec.LogisticRegression(inputs: 5, classes: 3);

        Should.Throw<ArgumentException>(() => SgdTrainer.Train(spec, spec.Initialize(1), Blobs, Options))
            .Message.ShouldContain("the dataset has 4 features per sample; the model expects 5");
    }

    [Theory]
    [InlineData(-1, 16, 0.1f)]
    [InlineData(1, 0, 0.1f)]
    [InlineData(1, 16, 0f)]
    [InlineData(1, 16, float.NaN)]
    public void Training_rejects_invalid_options(int epochs, int batchSize, float learningRate)
    {
        var spec = Spec("logistic");

        Should.Throw<ArgumentOutOfRangeException>(() =>
            SgdTrainer.Train(spec, spec.Initialize(1), Blobs, new TrainingOptions(epochs, batchSize, learningRate, Seed: 0)));
    }
}
