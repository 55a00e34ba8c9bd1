using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Gateway.Evaluation;

/// <summary>Evaluates a published model on the gateway's held-out data and signs the aggregate result.</summary>
public static class LocalEvaluation
{
    /// <summary>
    /// Returns a signed report with aggregate accuracy and loss only, each with its sample count:
    /// over all held-out samples, and per class (a slice such as "class=3").
    /// </summary>
    /// <exception cref="InvalidDataException">The published model does not match its announced hash.</exception>
    /// <exception cref="SafeTensorsFormatException">The published model is not readable.</exception>
    public static EvaluationReported Evaluate(this GatewayNode gateway, ModelPublished model)
    {
        var parameters = AnnouncedModel.Read(model.Model, model.ModelSha256, $"Model version {model.Version}");
        var report = new EvaluationReport(
            DocumentTypes.EvaluationReport,
            gateway.Id,
            gateway.KeyId,
            model.Version,
            model.ModelSha256,
            Metrics(parameters, gateway.Data.Holdout),
            gateway.Now());
        var (json, signature) = gateway.Sign(report);
        return new EvaluationReported(json, signature);
    }

    private static List<MetricValue> Metrics(TensorSet parameters, Dataset holdout)
    {
        var spec = ModelSpec.FromParameters(parameters);
        var overall = Evaluator.Evaluate(spec, parameters, holdout);
        var metrics = new List<MetricValue>
        {
            new("accuracy", null, overall.Accuracy, overall.SampleCount),
            new("loss", null, overall.Loss, overall.SampleCount),
        };
        foreach (var label in holdout.Labels.Distinct().Order())
        {
            var indices = Enumerable.Range(0, holdout.Count).Where(index => holdout.Labels[index] == label).ToArray();
            var slice = Evaluator.Evaluate(spec, parameters, holdout.Subset(indices));
            metrics.Add(new MetricValue("accuracy", $"class={label}", slice.Accuracy, slice.SampleCount));
        }

        return metrics;
    }
}
