using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Tensors;
using Federation.Policies;

namespace Federation.Site.Training;

/// <summary>
/// Trains the announced model on the site's data, whatever that data is (an in-memory split, vault photos, vault force
/// curves, or a factory's own program). <c>Contributions.LocalTraining.Contribute</c> runs the policy pre-flight, the
/// decision, signing and the outbox the same way for every trainer; a trainer only turns the base model into an update
/// and states what the privacy accountant must be charged for it.
/// </summary>
public interface ILocalTrainer
{
    /// <summary>What the trainer trains on, e.g. <c>vault-photos</c>; recorded in every decision.</summary>
    string Source { get; }

    /// <summary>
    /// Reads the data for one round and fixes what training it will do, without training yet: the charge must be known
    /// before training so the policy can refuse (an expired policy, too few samples, a spent budget) without spending a
    /// training run.
    /// </summary>
    /// <param name="context">The round's base model, plan, seeds and the policy's DP limits.</param>
    /// <returns>The prepared run.</returns>
    /// <exception cref="LocalTrainingException">The data cannot be trained on for this model; the reason says why.</exception>
    LocalTrainingRun Prepare(LocalTrainingContext context);

    /// <summary>
    /// Evaluates a published model on the site's held-out data: accuracy and loss over all of it and accuracy per class
    /// (slice <c>class=i</c>), each with its sample count. The policy decides afterwards what of it may leave.
    /// </summary>
    /// <param name="model">The published model (hash already checked).</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="LocalTrainingException">The data does not fit the model, or the evaluation failed; the reason says why.</exception>
    IReadOnlyList<MetricValue> Evaluate(TensorSet model);
}

/// <summary>What a trainer is given for one round.</summary>
/// <param name="Round">The round number.</param>
/// <param name="BaseModel">The announced base model (hash already checked).</param>
/// <param name="Plan">The round's training plan (epochs, batch size, learning rate, seed, FedProx μ).</param>
/// <param name="ShuffleSeed">This gateway's seed for the round (<see cref="StableSeed"/>).</param>
/// <param name="ClippingNorm">C: <c>privacy.maxExampleL2Norm</c> of the policy in force.</param>
/// <param name="NoiseMultiplier">z: <c>privacy.minNoiseMultiplier</c> of the policy in force.</param>
/// <param name="NoiseSeed">The release's secret 32-byte noise seed; never store, log or send it.</param>
public sealed record LocalTrainingContext(
    int Round, TensorSet BaseModel, TrainingPlan Plan, int ShuffleSeed, double ClippingNorm, double NoiseMultiplier, ReadOnlyMemory<byte> NoiseSeed)
{
    /// <summary>
    /// The external trainers the policy pins for the round's task (<c>trainers</c>); null when it pins none, and any
    /// external trainer may run untrusted (docs/PRIVACY.md, section 6).
    /// </summary>
    public IReadOnlyList<TrainerRule>? Trainers { get; init; }
}

/// <summary>
/// What the privacy accountant is charged for one release: <see cref="Steps"/> steps of the sampled Gaussian mechanism
/// with noise multiplier <see cref="NoiseMultiplier"/> and sampling rate min(1, <see cref="BatchSize"/> /
/// <see cref="SampleCount"/>), each releasing a sum whose L2 sensitivity to adding or removing one record is
/// <see cref="ClippingNorm"/>.
/// </summary>
/// <param name="SampleCount">N, the records trained on.</param>
/// <param name="BatchSize">B, the expected batch size (N for one full-batch release).</param>
/// <param name="Steps">T, the number of noisy releases composed.</param>
/// <param name="ClippingNorm">C, the sensitivity of each step's sum to one record.</param>
/// <param name="NoiseMultiplier">z: each step's noise has standard deviation z·C per value.</param>
/// <param name="Mechanism">
/// What the release is, as the signed manifest names it: <see cref="ReleasePrivacy.DpSgd"/> or, for an unpinned external
/// trainer's update noised once by the gateway, <see cref="ReleasePrivacy.WholeUpdateGaussian"/>.
/// </param>
public sealed record PrivacyCharge(long SampleCount, int BatchSize, int Steps, double ClippingNorm, double NoiseMultiplier, string Mechanism = ReleasePrivacy.DpSgd);

/// <summary>A prepared training run: what it will cost, what the trainer wants on record, and the training itself.</summary>
public abstract class LocalTrainingRun
{
    /// <summary>What the accountant is charged if the update is released.</summary>
    public abstract PrivacyCharge Charge { get; }

    /// <summary>
    /// What the trainer read and what it left out and why (e.g. photos it cannot decode), for the decision record.
    /// Never raw data: counts, labels, hashes and reasons only.
    /// </summary>
    public abstract string Summary { get; }

    /// <summary>Trains and returns the update (trained model minus base model), already differentially private.</summary>
    /// <returns>The update, with the base model's names and shapes.</returns>
    /// <exception cref="LocalTrainingException">Training failed; nothing of it may be released.</exception>
    public abstract TensorSet Train();
}

/// <summary>A trainer could not produce an update; the gateway records the reason and sends nothing.</summary>
/// <param name="message">What went wrong, for the decision record and the log.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class LocalTrainingException(string message, Exception? inner = null) : Exception(message, inner);
