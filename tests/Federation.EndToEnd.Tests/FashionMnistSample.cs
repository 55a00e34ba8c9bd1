using Federation.Learning.Data;
using Federation.Vault.Datasets;

namespace Federation.EndToEnd.Tests;

/// <summary>A slice of the real Fashion-MNIST (Debian's dataset-fashion-mnist), loaded once per test run.</summary>
public static class FashionMnistSample
{
    private static readonly Lazy<Dataset> AllTrainingImages = new(() => FashionMnist.LoadTraining());

    private static readonly Lazy<(Dataset Training, Dataset Test)> Sample = new(() =>
        (AllTraining.Subset(Enumerable.Range(0, 9000).ToArray()),
         FashionMnist.LoadTest().Subset(Enumerable.Range(0, 2000).ToArray())));

    /// <summary>All 60,000 training images.</summary>
    public static Dataset AllTraining => AllTrainingImages.Value;

    /// <summary>The first 9,000 training images.</summary>
    public static Dataset Training => Sample.Value.Training;

    public static Dataset Test => Sample.Value.Test;
}
