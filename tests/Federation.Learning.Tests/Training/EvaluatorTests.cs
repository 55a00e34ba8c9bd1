using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Training;

namespace Federation.Learning.Tests.Training;

public class EvaluatorTests
{
    private static readonly ModelSpec Spec = ModelSpec.LogisticRegression(inputs: 2, classes: 2);

    [Fact]
    public void Zero_parameters_give_loss_ln_c_and_predict_the_first_class_on_ties()
    {
        var data = new Dataset([1, 2, 3, 4, 5, 6], [0, 1, 1], featureCount: 2, classCount: 2);

        var result = Evaluator.Evaluate(Spec, Spec.Initialize(0), data);

        result.SampleCount.ShouldBe(3);
        result.Loss.ShouldBe(Math.Log(2), tolerance: 1e-6);
        result.Accuracy.ShouldBe(1.0 / 3, tolerance: 1e-12);
    }

    [Fact]
    public void Loss_and_accuracy_match_a_hand_computed_example()
    {
        // Logits are (x₀, x₁): sample A = (2, 0), label 0, right; sample B = (1, 0), label 1, wrong.
        var parameters = Spec.Initialize(0);
        parameters["linear.weight"].Values[0] = 1;
        parameters["linear.weight"].Values[3] = 1;
        var data = new Dataset([2, 0, 1, 0], [0, 1], featureCount: 2, classCount: 2);

        var result = Evaluator.Evaluate(Spec, parameters, data);

        double lossA = Math.Log(1 + Math.Exp(-2));
        double lossB = Math.Log(1 + Math.Exp(1));
        result.Loss.ShouldBe((lossA + lossB) / 2, tolerance: 1e-6);
        result.Accuracy.ShouldBe(0.5);
    }

    [Fact]
    public void Confident_mistakes_give_a_large_but_finite_loss()
    {
        var parameters = Spec.Initialize(0);
        parameters["linear.bias"].Values[0] = 1000;
        var data = new Dataset([0, 0], [1], featureCount: 2, classCount: 2);

        Evaluator.Evaluate(Spec, parameters, data).Loss.ShouldBe(1000, tolerance: 1e-3);
    }

    [Fact]
    public void Empty_dataset_reports_zero_samples()
    {
        var empty = new Dataset([], [], featureCount: 2, classCount: 2);

        Evaluator.Evaluate(Spec, Spec.Initialize(0), empty).ShouldBe(new EvaluationResult(0, 0, 0));
    }
}
