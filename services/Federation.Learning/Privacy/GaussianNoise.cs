using Federation.Learning.Tensors;

namespace Federation.Learning.Privacy;

/// <summary>
/// The Gaussian mechanism's noise: adds an independent N(0, σ²) draw to every element of an update.
/// </summary>
/// <remarks>
/// <para>
/// For a release whose L2 sensitivity is bounded by clipping to <c>C</c>, the standard deviation is
/// <c>σ = z · C</c> with <c>z</c> the noise multiplier (<see cref="StandardDeviation"/>); the RDP accountant is
/// expressed in <c>z</c> alone because the privacy loss depends only on the ratio σ / C.
/// </para>
/// <para>
/// Draws are made in tensor name order, then element order, with <see cref="NormalSampler"/> (Marsaglia's polar
/// method), so equal seeds give equal noise. That is what tests and simulations want, and it is also why a real
/// release must use a secret, single-use, unguessable seed: whoever can reproduce the noise can subtract it.
/// <see cref="Add(TensorSet, double, int)"/> seeds <see cref="System.Random"/> with 31 bits, which an observer can
/// search exhaustively, so production releases should use <see cref="CounterModeRandom"/> with a 256-bit seed from
/// <see cref="CounterModeRandom.NewSeed"/>.
/// </para>
/// </remarks>
public static class GaussianNoise
{
    /// <summary>The noise standard deviation σ = z · C for noise multiplier z and clipping norm C.</summary>
    /// <param name="noiseMultiplier">z, the ratio of σ to the L2 sensitivity; non-negative.</param>
    /// <param name="clippingNorm">C, the L2 bound the update was clipped to; positive.</param>
    /// <returns>σ.</returns>
    public static double StandardDeviation(double noiseMultiplier, double clippingNorm)
    {
        if (!(noiseMultiplier >= 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be a non-negative, finite number");
        }

        if (!(clippingNorm > 0) || !double.IsFinite(clippingNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clippingNorm), clippingNorm, "the clipping norm must be a positive, finite number");
        }

        return noiseMultiplier * clippingNorm;
    }

    /// <summary>
    /// Adds N(0, σ²) noise from <c>new Random(seed)</c>. Reproducible, but only 31 bits of seed: for tests and
    /// simulations, not for releases that must stay private (see the type remarks).
    /// </summary>
    /// <param name="update">The update; never modified.</param>
    /// <param name="standardDeviation">σ, non-negative and finite.</param>
    /// <param name="seed">The seed for <see cref="System.Random"/>.</param>
    /// <returns>A new set with the same layout.</returns>
    public static TensorSet Add(TensorSet update, double standardDeviation, int seed) =>
        Add(update, standardDeviation, new Random(seed));

    /// <summary>Adds N(0, σ²) noise drawn from <paramref name="random"/> to every element.</summary>
    /// <param name="update">The update; never modified.</param>
    /// <param name="standardDeviation">σ, non-negative and finite; zero returns an unchanged copy.</param>
    /// <param name="random">The uniform source, e.g. a <see cref="CounterModeRandom"/>; advanced by the call.</param>
    /// <returns>A new set with the same layout.</returns>
    public static TensorSet Add(TensorSet update, double standardDeviation, Random random)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(random);
        if (!(standardDeviation >= 0) || !double.IsFinite(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "the standard deviation must be a non-negative, finite number");
        }

        var sampler = new NormalSampler(random);
        var tensors = new Tensor[update.Count];
        for (int t = 0; t < update.Count; t++)
        {
            var source = update[t];
            var values = new float[source.Values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(source.Values[i] + (standardDeviation * sampler.Next()));
            }

            tensors[t] = new Tensor(source.Name, source.Shape, values);
        }

        return new TensorSet(tensors);
    }
}
