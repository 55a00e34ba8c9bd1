using System.Globalization;

namespace Federation.Vault.PressFit;

/// <summary>
/// Turns a force curve into the press-fit model's input: the force resampled at <see cref="Count"/> equally spaced
/// times from the first sample to the last (linear interpolation), divided by <see cref="FullScaleNewtons"/>, so a
/// curve's level, shape and stroke length all show while every curve has the same length.
/// </summary>
public static class PressFitFeatures
{
    /// <summary>Features per curve.</summary>
    public const int Count = 64;

    /// <summary>The force that maps to 1.0: a 20 kN load cell's range.</summary>
    public const double FullScaleNewtons = 20_000;

    /// <summary>Resamples one curve.</summary>
    /// <param name="time">Sample times, strictly increasing, at least two.</param>
    /// <param name="force">Forces in newtons, one per time.</param>
    /// <returns><see cref="Count"/> features.</returns>
    public static float[] From(IReadOnlyList<double> time, IReadOnlyList<double> force)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(force);
        if (time.Count < 2 || time.Count != force.Count)
        {
            throw new ArgumentException("a curve needs at least two samples, one force per time");
        }

        var features = new float[Count];
        double start = time[0], end = time[^1];
        int j = 0;
        for (int k = 0; k < Count; k++)
        {
            double t = start + ((end - start) * k / (Count - 1));
            while (j < time.Count - 2 && time[j + 1] < t)
            {
                j++;
            }

            double span = time[j + 1] - time[j];
            double weight = Math.Clamp((t - time[j]) / span, 0, 1);
            features[k] = (float)(((force[j] * (1 - weight)) + (force[j + 1] * weight)) / FullScaleNewtons);
        }

        return features;
    }

    /// <summary>Reads the time column and <paramref name="forceColumn"/> of a force CSV the vault accepted, and resamples it.</summary>
    /// <param name="csv">The file's bytes.</param>
    /// <param name="forceColumn">The force column's header name, in newtons.</param>
    /// <param name="problem">Why the file cannot be used, when it cannot.</param>
    /// <returns>The features, or null.</returns>
    public static float[]? FromCsv(byte[] csv, string forceColumn, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(csv);
        problem = null;
        var lines = System.Text.Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.TrimEnd('\r')).ToArray();
        if (lines.Length < 4)
        {
            problem = "fewer than two samples";
            return null;
        }

        int column = Array.IndexOf(lines[1].Split(','), forceColumn);
        if (column < 0)
        {
            problem = $"no column \"{forceColumn}\" (Gateway:Training:ForceColumn)";
            return null;
        }

        var time = new double[lines.Length - 2];
        var force = new double[lines.Length - 2];
        for (int i = 2; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            time[i - 2] = double.Parse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture);
            force[i - 2] = double.Parse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return From(time, force);
    }
}
