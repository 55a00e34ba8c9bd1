using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Learning.Training;

/// <summary>Measures accuracy and mean cross-entropy of a model on a dataset.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="parameters"/> on every sample of <paramref name="data"/>.</summary>
    /// <param name="spec">The model architecture.</param>
    /// <param name="parameters">Parameters with the spec's layout (not modified).</param>
    /// <param name="data">The evaluation samples.</param>
    /// <returns>Accuracy, mean loss and sample count; ties in the prediction go to the lowest class index.</returns>
    public static EvaluationResult Evaluate(ModelSpec spec, TensorSet parameters, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Network.CheckDataset(spec, data);
        var network = Network.Create(spec, parameters);
        if (data.Count == 0)
        {
            return new EvaluationResult(0, 0, 0);
        }

        // Per-sample losses are float; their sum is kept in double so that 60,000 of them add up exactly enough.
        double lossSum = 0;
        long correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            lossSum += network.Forward(data.FeaturesOf(i), data.Labels[i]);
            if (TensorPrimitives.IndexOfMax(network.Probabilities) == data.Labels[i])
            {
                correct++;
            }
        }

        return new EvaluationResult((double)correct / data.Count, lossSum / data.Count, data.Count);
    }
}
