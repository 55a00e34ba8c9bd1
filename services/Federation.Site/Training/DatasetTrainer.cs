using Federation.Contracts.Signing;
using Federation.Learning.Data;
using Federation.Learning.Tensors;
using Federation.Vault.Datasets;

namespace Federation.Site.Training;

/// <summary>
/// Trains on data already in memory: the demo's and the default gateway's Fashion-MNIST site split
/// (<see cref="SiteSplit"/>), which stands in for a factory's inspection photos.
/// </summary>
/// <param name="data">The site's training and held-out samples.</param>
public sealed class DatasetTrainer(LocalData data) : ILocalTrainer
{
    /// <summary>The source name of the Fashion-MNIST site split.</summary>
    public const string FashionMnistSplit = "fashion-mnist-split";

    /// <summary>The site's training and held-out samples.</summary>
    public LocalData Data { get; } = data ?? throw new ArgumentNullException(nameof(data));

    /// <inheritdoc />
    public string Source => FashionMnistSplit;

    /// <inheritdoc />
    public LocalTrainingRun Prepare(LocalTrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new DpSgdRun(Data.Training, context, $"{Data.Training.Count} samples from {Source}", BuiltInModel.SpecOf(context.BaseModel, Source));
    }

    /// <inheritdoc />
    public IReadOnlyList<MetricValue> Evaluate(TensorSet model) => HoldoutMetrics.Of(BuiltInModel.SpecOf(model, Source), model, Data.Holdout);
}
