namespace Federation.Learning.Privacy;

/// <summary><c>log(1 + x)</c> and <c>exp(x) − 1</c> without cancellation for small x (.NET has neither accurately).</summary>
internal static class LogMath
{
    /// <summary>log(1 + x) for x &gt; −1, accurate when |x| is tiny.</summary>
    public static double Log1P(double x)
    {
        // Goldberg's trick ("What every computer scientist should know about floating-point", Theorem 4):
        // the rounding error of u = 1 + x cancels in x / (u − 1).
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>exp(x) − 1, accurate when |x| is tiny.</summary>
    public static double ExpM1(double x)
    {
        // Kahan's trick, the exp counterpart of the one above.
        double u = Math.Exp(x);
        if (u == 1.0)
        {
            return x;
        }

        double um1 = u - 1.0;
        if (um1 == -1.0)
        {
            return -1.0;
        }

        return double.IsPositiveInfinity(u) ? u : um1 * x / Math.Log(u);
    }
}
