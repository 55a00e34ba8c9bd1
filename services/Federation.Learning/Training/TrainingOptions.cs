namespace Federation.Learning.Training;

/// <summary>Hyper-parameters of one local mini-batch SGD run.</summary>
/// <param name="Epochs">Passes over the data (0 returns a copy of the initial parameters).</param>
/// <param name="BatchSize">
/// Samples per gradient step; the last batch of an epoch may be smaller. With <see cref="DifferentialPrivacy"/> it is
/// the expected batch size of Poisson sampling.
/// </param>
/// <param name="LearningRate">The step size applied to the batch-averaged gradient.</param>
/// <param name="Seed">
/// Seeds the sample order; the same seed, data and initial parameters give bit-identical results on the same machine.
/// Not used with <see cref="DifferentialPrivacy"/>, whose secret seed draws the batches.
/// </param>
public sealed record TrainingOptions(int Epochs, int BatchSize, float LearningRate, int Seed)
{
    /// <summary>
    /// μ of FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): the weight of the proximal
    /// term μ/2·‖w − w₀‖² added to the local loss, where w₀ are the initial (global) parameters of the training.
    /// 0, the default, is plain SGD with bit-identical results.
    /// </summary>
    public float ProximalMu { get; init; }

    /// <summary>
    /// DP-SGD: per-example clipping, Poisson-sampled batches and Gaussian noise on every step (see
    /// <see cref="Training.DifferentialPrivacy"/>). Null, the default, is plain SGD with bit-identical results.
    /// </summary>
    public DifferentialPrivacy? DifferentialPrivacy { get; init; }

    /// <summary>
    /// The number of gradient steps one run makes on <paramref name="sampleCount"/> examples:
    /// <see cref="Epochs"/> × ⌈N / <see cref="BatchSize"/>⌉, with or without differential privacy. This is the step
    /// count to give the accountant together with <see cref="Training.DifferentialPrivacy.SamplingRate"/>.
    /// </summary>
    /// <param name="sampleCount">N, the number of local training examples; non-negative.</param>
    /// <returns>The step count; 0 when there are no examples or no epochs.</returns>
    /// <exception cref="OverflowException">The count does not fit in an <see cref="int"/>.</exception>
    public int StepCount(int sampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        Validate();
        int stepsPerEpoch = (int)(((long)sampleCount + BatchSize - 1) / BatchSize);
        return checked(Epochs * stepsPerEpoch);
    }

    /// <summary>Throws when a value is out of range.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "the learning rate must be positive and finite");
        }

        if (!(ProximalMu >= 0) || !float.IsFinite(ProximalMu))
        {
            throw new ArgumentOutOfRangeException(nameof(ProximalMu), ProximalMu, "the proximal term's mu must be zero or positive and finite");
        }
    }
}
