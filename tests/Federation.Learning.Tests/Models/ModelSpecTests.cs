using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Models;

public class ModelSpecTests
{
    [Fact]
    public void Logistic_regression_has_pytorch_linear_layout_and_starts_at_zero()
    {
        var parameters = ModelSpec.LogisticRegression(inputs: 784, classes: 10).Initialize(seed: 1);

        parameters.Select(t => t.ToString()).ShouldBe(["linear.bias [10]", "linear.weight [10, 784]"]);
        parameters.L2Norm().ShouldBe(0);
    }

    [Fact]
    public void Mlp_has_pytorch_layout_with_zero_biases_and_bounded_random_weights()
    {
        var parameters = ModelSpec.Mlp(inputs: 784, hidden: 64, classes: 10).Initialize(seed: 1);

        parameters.Select(t => t.ToString()).ShouldBe(["hidden.bias [64]", "hidden.weight [64, 784]", "output.bias [10]", "output.weight [10, 64]"]);
        parameters["hidden.bias"].Values.ShouldAllBe(v => v == 0f);
        parameters["output.bias"].Values.ShouldAllBe(v => v == 0f);
        float heBound = MathF.Sqrt(6f / 784);
        parameters["hidden.weight"].Values.ShouldAllBe(v => Math.Abs(v) <= heBound);
        parameters["hidden.weight"].Values.Max().ShouldBeGreaterThan(heBound * 0.9f);
        parameters["output.weight"].Values.Distinct().Count().ShouldBeGreaterThan(600);
    }

    [Fact]
    public void Initialization_is_deterministic_for_a_seed()
    {
        var spec = ModelSpec.Mlp(4, 3, 2);

        SafeTensors.Write(spec.Initialize(7)).ShouldBe(SafeTensors.Write(spec.Initialize(7)));
        SafeTensors.Write(spec.Initialize(8)).ShouldNotBe(SafeTensors.Write(spec.Initialize(7)));
    }

    [Fact]
    public void Specs_are_recovered_from_parameters_for_both_kinds()
    {
        var logistic = ModelSpec.LogisticRegression(784, 10);
        var mlp = ModelSpec.Mlp(784, 64, 10);

        ModelSpec.FromParameters(logistic.Initialize(1)).ShouldBe(logistic);
        ModelSpec.FromParameters(mlp.Initialize(1)).ShouldBe(mlp);
        mlp.Hidden.ShouldBe(64);
        logistic.Hidden.ShouldBe(0);
    }

    [Fact]
    public void A_model_file_is_self_describing()
    {
        var spec = ModelSpec.Mlp(12, 5, 3);

        var read = SafeTensors.Read(SafeTensors.Write(spec.Initialize(1)));

        ModelSpec.FromParameters(read).ShouldBe(spec);
    }

    public static TheoryData<string, TensorSet> Garbage => new()
    {
        { "it has neither 'linear.weight' nor both 'hidden.weight' and 'output.weight'", new TensorSet([]) },
        { "it has neither", new TensorSet([Tensor.Zeros("conv.weight", 3, 3)]) },
        { "missing tensor 'linear.bias'", new TensorSet([Tensor.Zeros("linear.weight", 10, 784)]) },
        { "'linear.weight' has shape [7840]", new TensorSet([Tensor.Zeros("linear.weight", 7840), Tensor.Zeros("linear.bias", 10)]) },
        { "'linear.weight' has shape [1, 784]", new TensorSet([Tensor.Zeros("linear.weight", 1, 784), Tensor.Zeros("linear.bias", 1)]) },
        { "tensor 'linear.bias' has shape [9]; expected [10]", new TensorSet([Tensor.Zeros("linear.weight", 10, 784), Tensor.Zeros("linear.bias", 9)]) },
        { "unexpected tensor 'extra'", new TensorSet([.. ModelSpec.LogisticRegression(4, 2).Initialize(0), Tensor.Zeros("extra", 1)]) },
        { "tensor 'output.weight' has shape [10, 63]; expected [10, 64]", new TensorSet(
            [Tensor.Zeros("hidden.weight", 64, 784), Tensor.Zeros("hidden.bias", 64), Tensor.Zeros("output.weight", 10, 63), Tensor.Zeros("output.bias", 10)]) },
        { "unexpected tensor 'hidden.bias'", new TensorSet([.. ModelSpec.LogisticRegression(4, 2).Initialize(0), .. ModelSpec.Mlp(4, 3, 2).Initialize(0)]) },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Parameters_that_are_not_a_known_model_are_rejected_with_the_reason(string reason, TensorSet parameters)
    {
        Should.Throw<ArgumentException>(() => ModelSpec.FromParameters(parameters))
            .Message.ShouldContain("the parameters are not a Federation model: " + reason);
    }

    [Fact]
    public void Factories_reject_impossible_sizes()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => ModelSpec.LogisticRegression(0, 10));
        Should.Throw<ArgumentOutOfRangeException>(() => ModelSpec.LogisticRegression(784, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => ModelSpec.Mlp(784, 0, 10));
    }
}
