namespace Federation.Learning.Privacy;

/// <summary>
/// Standard normal variates by Marsaglia's polar method (1964): draw (u, v) uniformly in the unit disc,
/// then <c>u·√(−2 ln s / s)</c> and <c>v·√(−2 ln s / s)</c> with <c>s = u² + v²</c> are two independent N(0, 1) draws.
/// </summary>
/// <remarks>
/// Exact (not an approximation such as summing uniforms), free of trigonometric calls, and it consumes only
/// <see cref="Random.NextDouble"/>, so the sequence depends on nothing but the generator it is given.
/// Both variates of a pair are used; the second is kept for the next call.
/// </remarks>
internal sealed class NormalSampler(Random random)
{
    private double _spare;
    private bool _hasSpare;

    /// <summary>The next N(0, 1) variate.</summary>
    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = (2.0 * random.NextDouble()) - 1.0;
            v = (2.0 * random.NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        double multiplier = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spare = v * multiplier;
        _hasSpare = true;
        return u * multiplier;
    }
}
