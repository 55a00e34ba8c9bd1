using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Learning.Training;

/// <summary>Plain mini-batch stochastic gradient descent on softmax cross-entropy.</summary>
/// <remarks>
/// One <see cref="Random"/>(<see cref="TrainingOptions.Seed"/>) shuffles the sample order at the start of every
/// epoch; each batch's gradient is averaged over the batch, then <c>w ← w − lr · g</c>. With
/// <see cref="TrainingOptions.ProximalMu"/> μ &gt; 0 (FedProx, Li et al. 2020) the gradient of μ/2·‖w − w₀‖² is added,
/// w₀ being <c>initial</c>: <c>w ← w − lr · (g + μ · (w − w₀))</c>. Everything runs on the
/// calling thread, so results are bit-identical for the same inputs on the same machine. (They may differ in
/// the last bits across CPUs, because vectorized dot products sum in an order that depends on vector width.)
/// </remarks>
public static class SgdTrainer
{
    /// <summary>Trains a copy of <paramref name="initial"/>; the input is never modified.</summary>
    /// <param name="spec">The model architecture.</param>
    /// <param name="initial">Starting parameters with the spec's layout.</param>
    /// <param name="data">The local training data.</param>
    /// <param name="options">Epochs, batch size, learning rate and seed.</param>
    /// <returns>New trained parameters.</returns>
    /// <exception cref="ArgumentException">The parameters or the data do not fit the spec.</exception>
    public static TensorSet Train(ModelSpec spec, TensorSet initial, Dataset data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Network.CheckDataset(spec, data);

        var parameters = initial.Clone();
        var gradient = TensorSet.ZerosLike(parameters);
        var network = Network.Create(spec, parameters, gradient);

        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var random = new Random(options.Seed);
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            Shuffle(order, random);
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start));
                ClearAll(gradient);
                foreach (int index in batch)
                {
                    var features = data.FeaturesOf(index);
                    network.Forward(features, data.Labels[index]);
                    network.Backward(features, data.Labels[index]);
                }

                if (options.ProximalMu != 0)
                {
                    AddProximalGradient(gradient, parameters, initial, options.ProximalMu * batch.Length);
                }

                Step(parameters, gradient, -options.LearningRate / batch.Length);
            }
        }

        return parameters;
    }

    /// <summary>Fisher–Yates, written out so the order depends only on the <see cref="Random"/> sequence.</summary>
    private static void Shuffle(int[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static void ClearAll(TensorSet set)
    {
        foreach (var tensor in set)
        {
            Array.Clear(tensor.Values);
        }
    }

    /// <summary>
    /// gradient += scale · (parameters − anchor). The gradient here is the batch <em>sum</em>, later scaled by 1/B,
    /// so the caller passes μ·B to add μ·(w − w₀) to the batch mean.
    /// </summary>
    private static void AddProximalGradient(TensorSet gradient, TensorSet parameters, TensorSet anchor, float scale)
    {
        for (int t = 0; t < gradient.Count; t++)
        {
            var g = gradient[t].Values;
            var w = parameters[t].Values;
            var w0 = anchor[t].Values;
            for (int i = 0; i < g.Length; i++)
            {
                g[i] += scale * (w[i] - w0[i]);
            }
        }
    }

    /// <summary>parameters += scale · gradient, tensor by tensor.</summary>
    private static void Step(TensorSet parameters, TensorSet gradient, float scale)
    {
        for (int t = 0; t < parameters.Count; t++)
        {
            var values = parameters[t].Values;
            TensorPrimitives.MultiplyAdd(gradient[t].Values, scale, values, values);
        }
    }
}
