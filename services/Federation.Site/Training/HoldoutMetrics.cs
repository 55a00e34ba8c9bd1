using Federation.Contracts.Signing;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Site.Training;

/// <summary>The metrics the gateway's own code computes for a built-in model on held-out samples.</summary>
public static class HoldoutMetrics
{
    /// <summary>
    /// Accuracy and loss over all of <paramref name="holdout"/>, accuracy per class (slice <c>class=i</c>), and
    /// accuracy per condition (slice <c>key=value</c>, e.g. <c>lighting=dim</c>) when the samples carry conditions.
    /// </summary>
    /// <param name="spec">The model's architecture.</param>
    /// <param name="parameters">The model.</param>
    /// <param name="holdout">The held-out samples.</param>
    /// <param name="conditions">Each sample's conditions, in sample order; none when null or empty.</param>
    /// <returns>The metrics, each with its sample count.</returns>
    public static IReadOnlyList<MetricValue> Of(ModelSpec spec, TensorSet parameters, Dataset holdout, IReadOnlyList<IReadOnlyList<string>>? conditions = null)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        if (conditions is { Count: > 0 } && conditions.Count != holdout.Count)
        {
            throw new ArgumentException($"{conditions.Count} samples' conditions for {holdout.Count} samples", nameof(conditions));
        }

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

        foreach (var condition in (conditions ?? []).SelectMany(sample => sample).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var indices = Enumerable.Range(0, holdout.Count).Where(index => conditions![index].Contains(condition, StringComparer.Ordinal)).ToArray();
            var slice = Evaluator.Evaluate(spec, parameters, holdout.Subset(indices));
            metrics.Add(new MetricValue("accuracy", condition, slice.Accuracy, slice.SampleCount));
        }

        return metrics;
    }
}
