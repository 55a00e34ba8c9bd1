using System.Globalization;
using Federation.Vault.Csv;

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

    /// <summary>
    /// Reads the time column and <paramref name="forceColumn"/> of a force CSV the vault accepted, and resamples it. The
    /// file is read by <see cref="CsvRecords"/>, the reader the vault validated it with: the sample-rate line, then a
    /// header (quoted names included) and the samples.
    /// </summary>
    /// <param name="csv">The file's bytes.</param>
    /// <param name="forceColumn">The force column's header name, in newtons.</param>
    /// <param name="problem">Why the file cannot be used, when it cannot.</param>
    /// <returns>The features, or null.</returns>
    public static float[]? FromCsv(byte[] csv, string forceColumn, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(csv);
        problem = null;
        IReadOnlyList<CsvRecord> records;
        try
        {
            records = CsvRecords.Read(csv, skipLines: 1);
        }
        catch (CsvFormatException error)
        {
            problem = $"unreadable CSV: line {error.Line}: {error.Message}";
            return null;
        }

        if (records.Count < 3)
        {
            problem = "fewer than two samples";
            return null;
        }

        int column = records[0].Fields.ToList().IndexOf(forceColumn);
        if (column < 0)
        {
            problem = $"no column \"{forceColumn}\"";
            return null;
        }

        var time = new double[records.Count - 1];
        var force = new double[records.Count - 1];
        for (int i = 1; i < records.Count; i++)
        {
            var fields = records[i].Fields;
            time[i - 1] = double.Parse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture);
            force[i - 1] = double.Parse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return From(time, force);
    }
}
