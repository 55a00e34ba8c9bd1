namespace Federation.Learning.Privacy;

/// <summary>
/// Rényi differential privacy (RDP) accounting for the sampled Gaussian mechanism — Poisson subsampling with rate
/// q, then Gaussian noise with multiplier z = σ / C — composed over steps and converted to (ε, δ).
/// </summary>
/// <remarks>
/// <para>
/// The per-step RDP is that of Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
/// Mechanism" (arXiv:1908.10530, Section 3.3): <c>rdp(α) = log(A_α) / (α − 1)</c>, with <c>A_α</c> a finite binomial
/// sum for integer α and a pair of converging series with erfc tails for fractional α. It is the same computation as
/// TensorFlow Privacy's <c>compute_rdp</c> and Opacus' <c>_compute_log_a</c>, including the edge cases q = 0 (no
/// loss), z = 0 (infinite loss), and q = 1, where the mechanism is the plain Gaussian mechanism with the closed form
/// <c>α / (2z²)</c> (Mironov 2017, Proposition 7). RDP adds up under composition, so T steps cost T times one step,
/// and releases with different parameters simply add their RDP vectors.
/// </para>
/// <para>
/// The neighbouring relation is add-or-remove-one, matching both reference libraries. Converting to ε uses
/// <see cref="RdpConversion.Improved"/> unless told otherwise.
/// </para>
/// </remarks>
public sealed class RdpAccountant
{
    // The fractional-order series converges like i^(−α−1); a million terms is far beyond any realistic input and
    // keeps a pathological one from spinning forever.
    private const int MaxSeriesTerms = 1_000_000;

    private static readonly double[] DefaultOrderValues = CreateDefaultOrders();

    private readonly double[] _orders;
    private readonly double[] _rdp;

    // Training records the same (z, q) step after step; remembering the last per-step vector makes that cheap.
    private (double NoiseMultiplier, double SamplingRate, double[] PerStep)? _lastStep;

    /// <summary>Creates an accountant with nothing spent yet.</summary>
    /// <param name="orders">The Rényi orders α to track, each greater than 1; <see cref="DefaultOrders"/> when null.</param>
    /// <param name="conversion">The RDP → (ε, δ) conversion used by <see cref="Epsilon"/> and <see cref="GetPrivacySpent"/>.</param>
    public RdpAccountant(IEnumerable<double>? orders = null, RdpConversion conversion = RdpConversion.Improved)
    {
        _orders = orders is null ? (double[])DefaultOrderValues.Clone() : [.. orders];
        if (_orders.Length == 0)
        {
            throw new ArgumentException("at least one order is needed", nameof(orders));
        }

        foreach (double order in _orders)
        {
            if (!(order > 1) || double.IsNaN(order))
            {
                throw new ArgumentOutOfRangeException(nameof(orders), order, "every Rényi order must be greater than 1");
            }
        }

        if (!Enum.IsDefined(conversion))
        {
            throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "unknown conversion");
        }

        _rdp = new double[_orders.Length];
        Conversion = conversion;
    }

    /// <summary>
    /// Opacus' default orders, <c>[1 + x / 10 for x in 1..99] + [12..63]</c>: fine steps where the optimum usually
    /// lies for ε between about 1 and 10 at δ near 1e-5, integers beyond.
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders => DefaultOrderValues;

    /// <summary>The orders tracked, in the order given.</summary>
    public IReadOnlyList<double> Orders => _orders;

    /// <summary>The RDP spent so far at each of <see cref="Orders"/>.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    /// <summary>The conversion used by <see cref="Epsilon"/>.</summary>
    public RdpConversion Conversion { get; }

    /// <summary>Records <paramref name="steps"/> applications of the sampled Gaussian mechanism.</summary>
    /// <param name="noiseMultiplier">z = σ / C; non-negative (zero means no privacy: infinite RDP).</param>
    /// <param name="samplingRate">q, the Poisson sampling probability, in [0, 1].</param>
    /// <param name="steps">The number of steps; non-negative.</param>
    public void Record(double noiseMultiplier, double samplingRate, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (_lastStep is not { } last || last.NoiseMultiplier != noiseMultiplier || last.SamplingRate != samplingRate)
        {
            last = (noiseMultiplier, samplingRate, ComputeRdp(noiseMultiplier, samplingRate, 1, _orders));
            _lastStep = last;
        }

        if (steps == 0)
        {
            return;
        }

        for (int i = 0; i < _rdp.Length; i++)
        {
            _rdp[i] += last.PerStep[i] * steps;
        }
    }

    /// <summary>The smallest ε, over the tracked orders, such that everything recorded is (ε, δ)-DP.</summary>
    /// <param name="delta">δ in (0, 1).</param>
    /// <returns>ε; 0 when nothing was recorded.</returns>
    public double Epsilon(double delta) => GetPrivacySpent(delta).Epsilon;

    /// <summary>Like <see cref="Epsilon"/>, also naming the optimal order.</summary>
    /// <param name="delta">δ in (0, 1).</param>
    /// <returns>The guarantee.</returns>
    public PrivacySpent GetPrivacySpent(double delta) => ConvertToEpsilon(_orders, _rdp, delta, Conversion);

    /// <summary>
    /// ε for <paramref name="steps"/> steps of the sampled Gaussian mechanism at the <see cref="DefaultOrders"/>, e.g.
    /// DP-SGD with noise multiplier z, batch B out of N examples (q = B / N) for T steps.
    /// </summary>
    /// <param name="noiseMultiplier">z = σ / C.</param>
    /// <param name="samplingRate">q in [0, 1].</param>
    /// <param name="steps">T.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">The RDP → (ε, δ) conversion.</param>
    /// <returns>ε.</returns>
    public static double ComputeEpsilon(
        double noiseMultiplier, double samplingRate, int steps, double delta, RdpConversion conversion = RdpConversion.Improved)
    {
        var accountant = new RdpAccountant(conversion: conversion);
        accountant.Record(noiseMultiplier, samplingRate, steps);
        return accountant.Epsilon(delta);
    }

    /// <summary>The RDP of <paramref name="steps"/> steps of the sampled Gaussian mechanism at each order.</summary>
    /// <param name="noiseMultiplier">z = σ / C; non-negative.</param>
    /// <param name="samplingRate">q in [0, 1].</param>
    /// <param name="steps">Non-negative.</param>
    /// <param name="orders">Orders α, each greater than 1 (positive infinity allowed, giving infinity).</param>
    /// <returns>One RDP value per order; may contain <see cref="double.PositiveInfinity"/>.</returns>
    public static double[] ComputeRdp(double noiseMultiplier, double samplingRate, int steps, IReadOnlyList<double> orders)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var rdp = new double[orders.Count];
        for (int i = 0; i < rdp.Length; i++)
        {
            double perStep = ComputeRdp(noiseMultiplier, samplingRate, orders[i]);
            rdp[i] = steps == 0 ? 0 : perStep * steps;
        }

        return rdp;
    }

    /// <summary>The RDP of one step of the sampled Gaussian mechanism at order α.</summary>
    /// <param name="noiseMultiplier">z = σ / C; non-negative.</param>
    /// <param name="samplingRate">q in [0, 1].</param>
    /// <param name="order">α greater than 1, or positive infinity.</param>
    /// <returns>The RDP ε(α); may be <see cref="double.PositiveInfinity"/>.</returns>
    public static double ComputeRdp(double noiseMultiplier, double samplingRate, double order)
    {
        if (!(noiseMultiplier >= 0) || double.IsPositiveInfinity(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be a non-negative, finite number");
        }

        if (!(samplingRate >= 0 && samplingRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "the sampling rate must be in [0, 1]");
        }

        if (!(order > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "the Rényi order must be greater than 1");
        }

        if (samplingRate == 0)
        {
            return 0;
        }

        if (noiseMultiplier == 0)
        {
            return double.PositiveInfinity;
        }

        if (samplingRate == 1)
        {
            return order / (2 * noiseMultiplier * noiseMultiplier);
        }

        if (double.IsPositiveInfinity(order))
        {
            return double.PositiveInfinity;
        }

        double logA = order == Math.Floor(order) && order <= int.MaxValue
            ? LogAForIntegerOrder(samplingRate, noiseMultiplier, (int)order)
            : LogAForFractionalOrder(samplingRate, noiseMultiplier, order);
        return logA / (order - 1);
    }

    /// <summary>Converts RDP values at several orders to the best (ε, δ) guarantee among them.</summary>
    /// <param name="orders">The orders α, each greater than 1.</param>
    /// <param name="rdp">The RDP at each order; same length, non-negative.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">Which theorem to apply.</param>
    /// <returns>The minimum ε over the orders and the order attaining it.</returns>
    public static PrivacySpent ConvertToEpsilon(
        IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta, RdpConversion conversion = RdpConversion.Improved)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(rdp);
        if (orders.Count != rdp.Count || orders.Count == 0)
        {
            throw new ArgumentException($"need one RDP value per order; got {orders.Count} orders and {rdp.Count} values", nameof(rdp));
        }

        if (!(delta > 0 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be in (0, 1)");
        }

        double best = double.PositiveInfinity;
        double bestOrder = orders[0];
        for (int i = 0; i < orders.Count; i++)
        {
            double alpha = orders[i];
            double r = rdp[i];
            if (!(alpha > 1))
            {
                throw new ArgumentOutOfRangeException(nameof(orders), alpha, "every Rényi order must be greater than 1");
            }

            if (!(r >= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(rdp), r, "RDP values must be non-negative");
            }

            double epsilon = conversion switch
            {
                RdpConversion.Classic => r - (Math.Log(delta) / (alpha - 1)),
                RdpConversion.Improved => ImprovedEpsilon(alpha, r, delta),
                _ => throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "unknown conversion"),
            };

            if (epsilon < best)
            {
                best = epsilon;
                bestOrder = alpha;
            }
        }

        return new PrivacySpent(Math.Max(0, best), delta, bestOrder);
    }

    private static double ImprovedEpsilon(double alpha, double rdp, double delta)
    {
        // Written as in Google's dp_accounting (rdp_privacy_accountant.compute_epsilon), whose two guards agree with
        // Opacus' vectorised formula wherever both are finite.
        if (double.IsPositiveInfinity(rdp))
        {
            return double.PositiveInfinity;
        }

        if ((delta * delta) + LogMath.ExpM1(-rdp) > 0)
        {
            // δ ≥ sqrt(1 − e^(−KL)) already: Pinsker-style bound gives ε = 0.
            return 0;
        }

        if (alpha > 1.01)
        {
            // The formula loses precision as α → 1, where it is useless anyway.
            return rdp + LogMath.Log1P(-1 / alpha) - (Math.Log(delta * alpha) / (alpha - 1));
        }

        return double.PositiveInfinity;
    }

    private static double LogAForIntegerOrder(double q, double sigma, int alpha)
    {
        // A_α = Σ_{i=0..α} C(α, i) q^i (1 − q)^(α − i) exp((i² − i) / (2σ²)), summed in log space.
        double logA = double.NegativeInfinity;
        double logBinomial = 0;
        double logQ = Math.Log(q);
        double logOneMinusQ = LogMath.Log1P(-q);
        double twoSigmaSquared = 2 * sigma * sigma;
        for (int i = 0; i <= alpha; i++)
        {
            if (i > 0)
            {
                logBinomial += Math.Log(alpha - i + 1) - Math.Log(i);
            }

            double term = logBinomial + (i * logQ) + ((alpha - i) * logOneMinusQ) + (((double)i * i - i) / twoSigmaSquared);
            logA = LogAdd(logA, term);
        }

        return logA;
    }

    private static double LogAForFractionalOrder(double q, double sigma, double alpha)
    {
        // The integral defining A_α is split at z0, where the two Gaussians' mixture ratio crosses; each half is a
        // series whose terms carry an erfc tail (Mironov, Talwar, Zhang 2019, Section 3.3). Terms alternate in sign
        // once the generalized binomial coefficient does, so the sums are kept in log space with a sign.
        double logA0 = double.NegativeInfinity;
        double logA1 = double.NegativeInfinity;
        double z0 = (sigma * sigma * Math.Log((1 / q) - 1)) + 0.5;
        double logQ = Math.Log(q);
        double logOneMinusQ = LogMath.Log1P(-q);
        double twoSigmaSquared = 2 * sigma * sigma;
        double sqrtTwoSigma = Math.Sqrt(2) * sigma;
        double logHalf = Math.Log(0.5);

        double logAbsBinomial = 0;
        int sign = 1;
        for (int i = 0; ; i++)
        {
            if (i > 0)
            {
                double factor = (alpha - i + 1) / i;
                logAbsBinomial += Math.Log(Math.Abs(factor));
                if (factor < 0)
                {
                    sign = -sign;
                }
            }

            double j = alpha - i;
            double logT0 = logAbsBinomial + (i * logQ) + (j * logOneMinusQ);
            double logT1 = logAbsBinomial + (j * logQ) + (i * logOneMinusQ);
            double logE0 = logHalf + NormalDistribution.LogErfc((i - z0) / sqrtTwoSigma);
            double logE1 = logHalf + NormalDistribution.LogErfc((z0 - j) / sqrtTwoSigma);
            double logS0 = logT0 + (((double)i * i - i) / twoSigmaSquared) + logE0;
            double logS1 = logT1 + (((j * j) - j) / twoSigmaSquared) + logE1;

            if (sign > 0)
            {
                logA0 = LogAdd(logA0, logS0);
                logA1 = LogAdd(logA1, logS1);
            }
            else
            {
                logA0 = LogSubtract(logA0, logS0);
                logA1 = LogSubtract(logA1, logS1);
            }

            if (Math.Max(logS0, logS1) < -30 || double.IsNaN(logA0) || double.IsNaN(logA1))
            {
                break;
            }

            if (i == MaxSeriesTerms)
            {
                return double.PositiveInfinity;
            }
        }

        double logA = LogAdd(logA0, logA1);

        // A subtraction that would go negative can only come from rounding; an unusable order is reported as infinite
        // RDP (never chosen) rather than as a wrong small number.
        return double.IsNaN(logA) ? double.PositiveInfinity : logA;
    }

    private static double LogAdd(double logX, double logY)
    {
        double low = Math.Min(logX, logY);
        double high = Math.Max(logX, logY);
        if (double.IsNegativeInfinity(low))
        {
            return high;
        }

        // exp(a) + exp(b) = (exp(a − b) + 1) · exp(b) with b the larger, so nothing overflows.
        return LogMath.Log1P(Math.Exp(low - high)) + high;
    }

    private static double LogSubtract(double logX, double logY)
    {
        if (double.IsNaN(logX) || logX < logY)
        {
            return double.NaN;
        }

        if (double.IsNegativeInfinity(logY))
        {
            return logX;
        }

        if (logX == logY)
        {
            return double.NegativeInfinity;
        }

        double difference = logX - logY;

        // exp(x − y) − 1 overflows beyond about 709; the result is then logX to double precision.
        return difference > 700 ? logX : Math.Log(LogMath.ExpM1(difference)) + logY;
    }

    private static double[] CreateDefaultOrders()
    {
        var orders = new List<double>(99 + 52);
        for (int x = 1; x < 100; x++)
        {
            orders.Add(1 + (x / 10.0));
        }

        for (int order = 12; order < 64; order++)
        {
            orders.Add(order);
        }

        return [.. orders];
    }
}
