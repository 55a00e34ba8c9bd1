using Federation.Learning.Tensors;

namespace Federation.Learning.Privacy;

/// <summary>The outcome of <see cref="L2Clipping.Clip"/>.</summary>
/// <param name="Clipped">The update scaled so that its flat L2 norm is at most the bound; the input itself when no scaling was needed.</param>
/// <param name="OriginalNorm">The flat L2 norm of the input, over all tensors together.</param>
/// <param name="WasClipped">True when the input was scaled down.</param>
public readonly record struct ClipResult(TensorSet Clipped, double OriginalNorm, bool WasClipped);

/// <summary>
/// Bounds the L2 sensitivity of an update: every tensor is scaled by the same factor
/// <c>min(1, C / ‖u‖₂)</c>, where <c>‖u‖₂</c> is the norm of all elements of all tensors together
/// (the update flattened into one vector), as in DP-FedAvg (McMahan et al. 2018) and DP-SGD.
/// </summary>
/// <remarks>
/// Scaling every tensor jointly keeps the direction of the update; per-tensor clipping would not, and
/// its sensitivity would be the root of the sum of the per-tensor bounds rather than <c>C</c>.
/// </remarks>
public static class L2Clipping
{
    /// <summary>Scales <paramref name="update"/> so that its flat L2 norm is at most <paramref name="maxNorm"/>.</summary>
    /// <param name="update">The update; never modified.</param>
    /// <param name="maxNorm">The bound <c>C</c>; positive and finite.</param>
    /// <returns>
    /// The clipped update (a new set when scaled, otherwise <paramref name="update"/> itself), the original norm, and
    /// whether scaling happened. The result's <see cref="TensorSet.L2Norm"/> is guaranteed to be at most
    /// <paramref name="maxNorm"/>: float rounding can push a scaled norm a few ulps above the bound, so the factor is
    /// nudged down until the measured norm is within it, because a verifier re-measuring the norm must not see it exceed C.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException">The update holds NaN or infinite values, which have no meaningful norm.</exception>
    public static ClipResult Clip(TensorSet update, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!(maxNorm > 0) || !double.IsFinite(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping bound must be a positive, finite number");
        }

        string? nonFinite = update.FindNonFinite();
        if (nonFinite is not null)
        {
            throw new ArgumentException($"cannot clip an update with non-finite values: {nonFinite}", nameof(update));
        }

        double norm = update.L2Norm();
        if (norm <= maxNorm)
        {
            return new ClipResult(update, norm, WasClipped: false);
        }

        double factor = maxNorm / norm;
        while (true)
        {
            var scaled = Scale(update, factor);
            if (scaled.L2Norm() <= maxNorm)
            {
                return new ClipResult(scaled, norm, WasClipped: true);
            }

            // Each float rounding is at most 2^-24 relative, so a few nudges of 2^-23 always suffice.
            factor *= 1.0 - Math.ScaleB(1.0, -23);
        }
    }

    private static TensorSet Scale(TensorSet update, double factor)
    {
        var tensors = new Tensor[update.Count];
        for (int t = 0; t < update.Count; t++)
        {
            var source = update[t];
            var values = new float[source.Values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(source.Values[i] * factor);
            }

            tensors[t] = new Tensor(source.Name, source.Shape, values);
        }

        return new TensorSet(tensors);
    }
}
