using Federation.Learning.Tensors;

namespace Federation.Learning.Aggregation;

/// <summary>
/// Federated averaging (McMahan et al. 2017, as in Flower's FedAvg): the sample-weighted mean
/// Σ nₖ·wₖ / Σ nₖ of client parameters, accumulated one update at a time.
/// </summary>
/// <remarks>
/// <para>
/// Memory is one model, however many updates arrive: each update is folded into a running sum and not kept.
/// </para>
/// <para>
/// The arithmetic is specified exactly, so that anyone can reproduce an aggregate bit for bit (e.g. in numpy
/// float32) and every CPU gets the same bits:
/// </para>
/// <list type="number">
/// <item><description><c>acc[i]</c> starts at +0.0f.</description></item>
/// <item><description>For each update k, in the order <see cref="Add"/> is called:
/// <c>acc[i] = acc[i] + ((float)nₖ * w[i])</c>, where the product and the sum are each rounded to float32
/// (no fused multiply-add).</description></item>
/// <item><description><see cref="Average"/>: <c>avg[i] = acc[i] / (float)N</c> with N = Σ nₖ, rounded to float32.</description></item>
/// </list>
/// <para>
/// Sample counts are converted to float32, which is exact up to 2^24 = 16,777,216 and rounded to nearest above.
/// In numpy: <c>acc = np.zeros(n, np.float32); acc = acc + np.float32(n_k) * w_k; avg = acc / np.float32(N)</c>.
/// Only element-wise operations are used, so vector width cannot change the result.
/// </para>
/// </remarks>
public sealed class FedAvgAccumulator
{
    // Products are staged here, on the stack, in chunks: separate Multiply and Add calls guarantee two
    // roundings (a fused multiply-add would round once and break reproducibility), without a heap scratch buffer.
    private const int ChunkLength = 1024;

    private readonly TensorSet _sum;

    /// <summary>Creates an empty accumulator for models with the layout of <paramref name="layout"/>.</summary>
    /// <param name="layout">A set whose names and shapes define the model; its values are ignored and it is not kept.</param>
    public FedAvgAccumulator(TensorSet layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _sum = TensorSet.ZerosLike(layout);
    }

    /// <summary>The number of updates added.</summary>
    public int Count { get; private set; }

    /// <summary>Σ nₖ over the updates added.</summary>
    public long TotalSamples { get; private set; }

    /// <summary>Folds one client's parameters into the running sum, weighted by its sample count.</summary>
    /// <param name="update">Parameters with exactly the accumulator's layout; not modified and not kept.</param>
    /// <param name="sampleCount">The number of samples the client trained on; must be positive.</param>
    /// <exception cref="ArgumentException">The layout differs or the sample count is not positive.</exception>
    public void Add(TensorSet update, long sampleCount)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (sampleCount <= 0)
        {
            throw new ArgumentException($"the sample count must be positive, but it is {sampleCount}", nameof(sampleCount));
        }

        // HasSameLayout does not allocate; the descriptive (allocating) comparison runs only on failure.
        if (!update.HasSameLayout(_sum))
        {
            throw new ArgumentException($"the update does not match the model layout: {update.DescribeLayoutDifference(_sum)}", nameof(update));
        }

        float weight = sampleCount;
        Span<float> products = stackalloc float[ChunkLength];
        for (int t = 0; t < _sum.Count; t++)
        {
            var accumulator = _sum[t].Values.AsSpan();
            var values = update[t].Values.AsSpan();
            for (int start = 0; start < values.Length; start += ChunkLength)
            {
                int length = Math.Min(ChunkLength, values.Length - start);
                var product = products[..length];
                var sum = accumulator.Slice(start, length);
                TensorPrimitives.Multiply(values.Slice(start, length), weight, product);
                TensorPrimitives.Add(sum, product, sum);
            }
        }

        Count++;
        TotalSamples = checked(TotalSamples + sampleCount);
    }

    /// <summary>The weighted average Σ nₖ·wₖ / Σ nₖ of the updates added so far.</summary>
    /// <returns>A new set; the accumulator can keep accepting updates.</returns>
    /// <exception cref="InvalidOperationException">No update has been added.</exception>
    public TensorSet Average()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("no updates have been added, so there is nothing to average");
        }

        float total = TotalSamples;
        var average = TensorSet.ZerosLike(_sum);
        for (int t = 0; t < _sum.Count; t++)
        {
            TensorPrimitives.Divide(_sum[t].Values, total, average[t].Values);
        }

        return average;
    }
}
