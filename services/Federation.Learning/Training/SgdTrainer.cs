using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Learning.Training;

/// <summary>Mini-batch stochastic gradient descent on softmax cross-entropy, plain or differentially private (DP-SGD).</summary>
/// <remarks>
/// One <see cref="Random"/>(<see cref="TrainingOptions.Seed"/>) shuffles the sample order at the start of every
/// epoch; each batch's gradient is averaged over the batch, then <c>w ← w − lr · g</c>. With
/// <see cref="TrainingOptions.ProximalMu"/> μ &gt; 0 (FedProx, Li et al. 2020) the gradient of μ/2·‖w − w₀‖² is added,
/// w₀ being <c>initial</c>: <c>w ← w − lr · (g + μ · (w − w₀))</c>. Everything runs on the
/// calling thread, so results are bit-identical for the same inputs on the same machine. (They may differ in
/// the last bits across CPUs, because vectorized dot products sum in an order that depends on vector width.)
/// <para>
/// With <see cref="TrainingOptions.DifferentialPrivacy"/> set, training is DP-SGD instead (Abadi et al. 2016):
/// <see cref="TrainingOptions.StepCount"/> steps, each on a Poisson-sampled batch (rate q = B / N), computing every
/// example's gradient on its own, scaling it to L2 norm at most C, summing, adding N(0, (z·C)²) to every coordinate,
/// and dividing by the expected batch size q·N; the proximal term, which does not depend on the data, is added after
/// the noise. See <see cref="DifferentialPrivacy"/> for what is guaranteed and how to account for it.
/// </para>
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
        return options.DifferentialPrivacy is { } privacy
            ? TrainPrivately(spec, initial, data, options, privacy)
            : TrainPlainly(spec, initial, data, options);
    }

    private static TensorSet TrainPlainly(ModelSpec spec, TensorSet initial, Dataset data, TrainingOptions options)
    {
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

    private static TensorSet TrainPrivately(ModelSpec spec, TensorSet initial, Dataset data, TrainingOptions options, DifferentialPrivacy privacy)
    {
        var parameters = initial.Clone();
        var example = TensorSet.ZerosLike(parameters);
        var sum = TensorSet.ZerosLike(parameters);
        var network = Network.Create(spec, parameters, example);

        double samplingRate = DifferentialPrivacy.SamplingRate(data.Count, options.BatchSize);
        float expectedBatchSize = Math.Min(options.BatchSize, data.Count); // q·N, exactly
        int steps = options.StepCount(data.Count);
        double clippingNorm = privacy.ClippingNorm;
        double sigma = privacy.NoiseStandardDeviation;

        using var random = new CounterModeRandom(privacy.NoiseSeed.AsSpan());
        var normal = new NormalSampler(random);
        for (int step = 0; step < steps; step++)
        {
            ClearAll(sum);
            for (int index = 0; index < data.Count; index++)
            {
                // Poisson sampling: every example joins every batch independently with probability q.
                if (samplingRate < 1 && random.NextDouble() >= samplingRate)
                {
                    continue;
                }

                ClearAll(example);
                var features = data.FeaturesOf(index);
                network.Forward(features, data.Labels[index]);
                network.Backward(features, data.Labels[index]);
                AddClipped(sum, example, clippingNorm);
            }

            if (sigma > 0)
            {
                AddNoise(sum, sigma, normal);
            }

            if (options.ProximalMu != 0)
            {
                AddProximalGradient(sum, parameters, initial, options.ProximalMu * expectedBatchSize);
            }

            Step(parameters, sum, -options.LearningRate / expectedBatchSize);
        }

        return parameters;
    }

    /// <summary>
    /// sum += min(1, C / ‖g‖₂) · g, with ‖g‖₂ the norm of one example's gradient over all parameters together, so no
    /// example moves the sum by more than C in L2.
    /// </summary>
    private static void AddClipped(TensorSet sum, TensorSet gradient, double clippingNorm)
    {
        double squares = 0;
        foreach (var tensor in gradient)
        {
            squares += TensorPrimitives.SumOfSquares(tensor.Values);
        }

        double norm = Math.Sqrt(squares);
        float scale = norm > clippingNorm ? (float)(clippingNorm / norm) : 1f;
        for (int t = 0; t < sum.Count; t++)
        {
            var values = sum[t].Values;
            TensorPrimitives.MultiplyAdd(gradient[t].Values, scale, values, values);
        }
    }

    /// <summary>Adds an independent N(0, σ²) draw to every coordinate, in tensor name order, then element order.</summary>
    private static void AddNoise(TensorSet sum, double sigma, NormalSampler normal)
    {
        foreach (var tensor in sum)
        {
            var values = tensor.Values;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(values[i] + (sigma * normal.Next()));
            }
        }
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
