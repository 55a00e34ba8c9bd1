using System.Collections.Immutable;
using System.Globalization;
using Federation.Learning.Privacy;

namespace Federation.Learning.Training;

/// <summary>
/// DP-SGD settings (Abadi et al. 2016, "Deep Learning with Differential Privacy"): at every step each sampled
/// example's gradient is clipped to L2 norm at most <see cref="ClippingNorm"/> C over all parameters together, the
/// clipped gradients are summed, and N(0, (z·C)²) noise, z = <see cref="NoiseMultiplier"/>, is added to every
/// coordinate of the sum before it is divided by the expected batch size.
/// </summary>
/// <remarks>
/// <para>
/// Batches are drawn by <b>Poisson sampling</b>, as Opacus does: at every step each of the N local examples joins the
/// batch independently with probability q = <see cref="SamplingRate"/>(N, B) = min(1, B / N), so batch sizes vary
/// around B (and may be zero). The noisy sum is divided by the expected batch size q·N, never by the realised size,
/// which would itself depend on the data. One run makes <see cref="TrainingOptions.StepCount"/> steps. That is
/// exactly the sampled Gaussian mechanism that <see cref="RdpAccountant"/> accounts for with (z, q, steps) under
/// add-or-remove-one neighbouring datasets. Fixed-size batches from a shuffle with q = B / N, which many
/// implementations use, are only an approximation of that analysis; they are not offered here.
/// </para>
/// <para>
/// The privacy guarantee depends on z alone (the sensitivity of each step's sum is C and the noise is z·C); C sets the
/// scale at which per-example gradients are cut, which affects accuracy, not ε.
/// </para>
/// <para>
/// Both the batch draws and the noise come from one <see cref="CounterModeRandom"/> seeded with
/// <see cref="NoiseSeed"/>, so the same seed, data and options give bit-identical results, and nobody without the seed
/// can reproduce (and so subtract) the noise or tell which examples were in which batch. Draw the seed with
/// <see cref="CounterModeRandom.NewSeed"/> for every training run; never store or send it.
/// </para>
/// </remarks>
public sealed class DifferentialPrivacy
{
    /// <summary>Creates DP-SGD settings.</summary>
    /// <param name="clippingNorm">C, the per-example L2 clipping norm; positive and finite.</param>
    /// <param name="noiseMultiplier">
    /// z, the ratio of the noise standard deviation to C; non-negative and finite. Zero clips without adding noise,
    /// which gives no privacy at all (ε = ∞) and is useful only to measure what clipping alone costs.
    /// </param>
    /// <param name="noiseSeed">Exactly <see cref="CounterModeRandom.SeedLength"/> secret bytes; copied.</param>
    /// <exception cref="ArgumentOutOfRangeException">A number is out of range.</exception>
    /// <exception cref="ArgumentException">The seed has the wrong length.</exception>
    public DifferentialPrivacy(double clippingNorm, double noiseMultiplier, ReadOnlySpan<byte> noiseSeed)
    {
        if (!(clippingNorm > 0) || !double.IsFinite(clippingNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clippingNorm), clippingNorm, "the per-example clipping norm must be positive and finite");
        }

        if (!(noiseMultiplier >= 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be zero or positive and finite");
        }

        if (noiseSeed.Length != CounterModeRandom.SeedLength)
        {
            throw new ArgumentException($"the noise seed must be {CounterModeRandom.SeedLength} bytes, got {noiseSeed.Length}", nameof(noiseSeed));
        }

        ClippingNorm = clippingNorm;
        NoiseMultiplier = noiseMultiplier;
        NoiseSeed = [.. noiseSeed];
    }

    /// <summary>C: every example's gradient is scaled by min(1, C / ‖g‖₂) before it is added to the batch sum.</summary>
    public double ClippingNorm { get; }

    /// <summary>z: the noise added to each coordinate of a step's clipped gradient sum has standard deviation z·C.</summary>
    public double NoiseMultiplier { get; }

    /// <summary>The noise standard deviation σ = z·C added to each coordinate of a step's clipped gradient sum.</summary>
    public double NoiseStandardDeviation => NoiseMultiplier * ClippingNorm;

    /// <summary>The secret seed of the batch sampling and the noise.</summary>
    public ImmutableArray<byte> NoiseSeed { get; }

    /// <summary>
    /// The Poisson sampling rate q = min(1, B / N) the trainer uses, and the one to give the accountant: each example
    /// is in each step's batch with this probability.
    /// </summary>
    /// <param name="sampleCount">N, the number of local training examples; non-negative (0 gives q = 0).</param>
    /// <param name="batchSize">B, the expected batch size; positive.</param>
    /// <returns>q in [0, 1].</returns>
    public static double SamplingRate(long sampleCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return sampleCount == 0 ? 0 : Math.Min(1.0, (double)batchSize / sampleCount);
    }

    /// <summary>The settings without the seed, which must never appear in logs.</summary>
    /// <returns>E.g. <c>DP-SGD (C = 1, z = 1.1)</c>.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"DP-SGD (C = {ClippingNorm:G6}, z = {NoiseMultiplier:G6})");
}
