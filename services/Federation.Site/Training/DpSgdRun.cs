using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Site.Training;

/// <summary>
/// DP-SGD on an in-memory data set at the policy's limits (per-example clipping norm C, noise multiplier z, the
/// release's secret seed): the one way the built-in trainers train, whatever their data's origin.
/// </summary>
public sealed class DpSgdRun : LocalTrainingRun
{
    private readonly Dataset training;
    private readonly LocalTrainingContext context;
    private readonly ModelSpec spec;
    private readonly TrainingOptions options;

    /// <summary>Prepares DP-SGD on <paramref name="training"/>.</summary>
    /// <param name="training">The samples, in the model's input layout.</param>
    /// <param name="context">The round.</param>
    /// <param name="summary">What was read, for the decision record.</param>
    /// <param name="spec">The base model's built-in architecture (<see cref="BuiltInModel.SpecOf"/>).</param>
    public DpSgdRun(Dataset training, LocalTrainingContext context, string summary, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(context);
        this.training = training;
        this.context = context;
        this.spec = spec;
        Summary = summary;
        var plan = context.Plan;
        options = new TrainingOptions(plan.Epochs, plan.BatchSize, (float)plan.LearningRate, context.ShuffleSeed)
        {
            ProximalMu = (float)plan.ProximalMu,
            DifferentialPrivacy = new DifferentialPrivacy(context.ClippingNorm, context.NoiseMultiplier, context.NoiseSeed.Span),
        };

        // The accountant is charged for at least one step: a release with none would otherwise cost nothing.
        Charge = new PrivacyCharge(training.Count, options.BatchSize, Math.Max(1, options.StepCount(training.Count)), context.ClippingNorm, context.NoiseMultiplier);
    }

    /// <inheritdoc />
    public override PrivacyCharge Charge { get; }

    /// <inheritdoc />
    public override string Summary { get; }

    /// <inheritdoc />
    public override TensorSet Train()
    {
        try
        {
            return SgdTrainer.Train(spec, context.BaseModel, training, options).Subtract(context.BaseModel);
        }
        catch (ArgumentException error)
        {
            throw new LocalTrainingException($"the local data does not fit the announced model: {error.Message}", error);
        }
    }
}
