using Federation.Contracts.Tasks;

namespace Federation.Policies;

/// <summary>
/// One release recorded against the privacy budget: a round of local DP training with noise multiplier z, Poisson
/// sampling rate q (batch size / local samples) and a number of steps, released at a point in time for one task.
/// </summary>
public sealed record PrivacyRelease
{
    /// <summary>Creates a release record.</summary>
    /// <param name="at">When the release left (the decision time).</param>
    /// <param name="noiseMultiplier">z, positive and finite.</param>
    /// <param name="samplingRate">q in (0, 1].</param>
    /// <param name="steps">The number of noisy steps, positive.</param>
    /// <param name="task">The task whose budget it was charged to; releases from before tasks existed belong to <see cref="TaskIds.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not a safe task id.</exception>
    public PrivacyRelease(DateTimeOffset at, double noiseMultiplier, double samplingRate, int steps, string task = TaskIds.Default)
    {
        if (TaskIds.Problem(task) is { } problem)
        {
            throw new ArgumentException(problem, nameof(task));
        }

        if (!(noiseMultiplier > 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be positive and finite");
        }

        if (!(samplingRate > 0 && samplingRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "the sampling rate must be in (0, 1]");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        At = at;
        NoiseMultiplier = noiseMultiplier;
        SamplingRate = samplingRate;
        Steps = steps;
        Task = task;
    }

    /// <summary>When the release left.</summary>
    public DateTimeOffset At { get; }

    /// <summary>z = σ / C.</summary>
    public double NoiseMultiplier { get; }

    /// <summary>q, the probability of each local sample being in a batch.</summary>
    public double SamplingRate { get; }

    /// <summary>The number of noisy steps.</summary>
    public int Steps { get; }

    /// <summary>The task whose budget paid for the release.</summary>
    public string Task { get; }
}
