using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Learning.Training;

/// <summary>The full-batch gradient of the mean cross-entropy, by backpropagation.</summary>
/// <remarks>
/// <see cref="SgdTrainer"/> uses the same per-sample math on mini-batches; this entry point exposes it whole,
/// e.g. to check it against finite differences or to compute a client's gradient for gradient-based protocols.
/// </remarks>
public static class LossGradient
{
    /// <summary>Computes ∂L/∂θ for L = mean over samples of −ln p(label).</summary>
    /// <param name="spec">The model architecture.</param>
    /// <param name="parameters">Parameters with the spec's layout (not modified).</param>
    /// <param name="data">The samples; an empty dataset gives a zero gradient.</param>
    /// <returns>A new set with the parameters' layout.</returns>
    public static TensorSet Compute(ModelSpec spec, TensorSet parameters, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Network.CheckDataset(spec, data);
        var gradient = TensorSet.ZerosLike(parameters);
        var network = Network.Create(spec, parameters, gradient);
        for (int i = 0; i < data.Count; i++)
        {
            var features = data.FeaturesOf(i);
            network.Forward(features, data.Labels[i]);
            network.Backward(features, data.Labels[i]);
        }

        if (data.Count > 0)
        {
            foreach (var tensor in gradient)
            {
                TensorPrimitives.Divide(tensor.Values, data.Count, tensor.Values);
            }
        }

        return gradient;
    }
}
