using Federation.Learning.Models;
using Federation.Learning.Training;

namespace Federation.Learning.Tests.Training;

public class LossGradientTests
{
    public static TheoryData<string> Models => ["logistic", "mlp"];

    private static ModelSpec Spec(string model) =>
        model == "logistic" ? ModelSpec.LogisticRegression(inputs: 5, classes: 3) : ModelSpec.Mlp(inputs: 5, hidden: 4, classes: 3);

    [Theory]
    [MemberData(nameof(Models))]
    public void Backpropagated_gradient_matches_central_finite_differences_of_the_evaluated_loss(string model)
    {
        var spec = Spec(model);
        var data = SyntheticData.Noise(classes: 3, features: 5, count: 8, seed: 11);
        var parameters = SyntheticData.Randomized(spec.Initialize(seed: 1), seed: 2);
        const float step = 1e-3f;

        var gradient = LossGradient.Compute(spec, parameters, data);

        foreach (var tensor in parameters)
        {
            for (int i = 0; i < tensor.Values.Length; i++)
            {
                float original = tensor.Values[i];
                tensor.Values[i] = original + step;
                double above = Evaluator.Evaluate(spec, parameters, data).Loss;
                tensor.Values[i] = original - step;
                double below = Evaluator.Evaluate(spec, parameters, data).Loss;
                tensor.Values[i] = original;

                double numeric = (above - below) / (2 * step);
                double analytic = gradient[tensor.Name].Values[i];
                Math.Abs(analytic - numeric).ShouldBeLessThan(1e-3 + (1e-2 * Math.Abs(numeric)), $"{tensor.Name}[{i}]");
            }
        }
    }

    [Fact]
    public void Gradient_is_zero_for_an_empty_dataset()
    {
        var spec = Spec("logistic");
        var empty = SyntheticData.Noise(3, 5, count: 0, seed: 0);

        LossGradient.Compute(spec, spec.Initialize(0), empty).L2Norm().ShouldBe(0);
    }
}
