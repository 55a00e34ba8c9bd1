namespace Federation.Learning.Data;

/// <summary>
/// Draws from Gamma(shape, 1) with the Marsaglia–Tsang method (2000), returning the logarithm of the draw.
/// </summary>
/// <remarks>
/// Logarithms, because for small shapes (alpha = 0.01 is a common "extreme skew" setting) the boost
/// <c>U^(1/alpha)</c> underflows to zero in double precision; a Dirichlet draw normalizes in log space instead.
/// Normal variates come from Box–Muller so that the whole sequence depends only on the seeded <see cref="Random"/>.
/// </remarks>
internal static class GammaSampler
{
    /// <summary>Returns ln(X) for X ~ Gamma(shape, 1).</summary>
    public static double SampleLog(double shape, Random random)
    {
        if (shape < 1)
        {
            // Gamma(a) = Gamma(a + 1) · U^(1/a) for a < 1 (Marsaglia–Tsang's boost).
            double boost = Math.Log(OpenUnit(random)) / shape;
            return SampleLogAtLeastOne(shape + 1, random) + boost;
        }

        return SampleLogAtLeastOne(shape, random);
    }

    private static double SampleLogAtLeastOne(double shape, Random random)
    {
        double d = shape - (1.0 / 3.0);
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = StandardNormal(random);
            double v = 1.0 + (c * x);
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = OpenUnit(random);
            double xSquared = x * x;
            if (u < 1.0 - (0.0331 * xSquared * xSquared)
                || Math.Log(u) < (0.5 * xSquared) + (d * (1.0 - v + Math.Log(v))))
            {
                return Math.Log(d) + Math.Log(v);
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; the second variate is discarded to keep the draw sequence simple to reproduce.
        double u1 = OpenUnit(random);
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniform draw in (0, 1), so that its logarithm is finite.</summary>
    private static double OpenUnit(Random random)
    {
        double u;
        do
        {
            u = random.NextDouble();
        }
        while (u == 0);

        return u;
    }
}
