using Federation.Learning.Data;

namespace Federation.Learning.Tests.Data;

public class DatasetTests
{
    private static Dataset ThreeSamples() => new([0, 1, 10, 11, 20, 21], [0, 1, 2], featureCount: 2, classCount: 3);

    [Fact]
    public void Dataset_exposes_row_major_samples()
    {
        var data = ThreeSamples();

        data.Count.ShouldBe(3);
        data.FeaturesOf(1).ToArray().ShouldBe([10f, 11f]);
    }

    [Fact]
    public void Dataset_rejects_features_that_do_not_match_the_labels()
    {
        Should.Throw<ArgumentException>(() => new Dataset(new float[5], [0, 1, 2], 2, 3))
            .Message.ShouldContain("3 labels × 2 features need 6 feature values, but 5 were given");
    }

    [Fact]
    public void Dataset_rejects_labels_outside_the_classes()
    {
        Should.Throw<ArgumentException>(() => new Dataset(new float[2], [3], 2, 3))
            .Message.ShouldContain("label 3 of sample 0 is not below the class count 3");
    }

    [Fact]
    public void Subset_copies_the_chosen_samples_in_order()
    {
        var subset = ThreeSamples().Subset([2, 0]);

        subset.Features.ShouldBe([20f, 21f, 0f, 1f]);
        subset.Labels.ShouldBe([2, 0]);
        subset.ClassCount.ShouldBe(3);
    }

    [Fact]
    public void Concat_joins_datasets_end_to_end()
    {
        var joined = Dataset.Concat([ThreeSamples().Subset([0]), ThreeSamples().Subset([2, 1])]);

        joined.Features.ShouldBe([0f, 1f, 20f, 21f, 10f, 11f]);
        joined.Labels.ShouldBe([0, 2, 1]);
    }

    [Fact]
    public void Concat_rejects_datasets_of_different_shapes()
    {
        Should.Throw<ArgumentException>(() => Dataset.Concat([ThreeSamples(), new Dataset([1f], [0], 1, 3)]));
    }
}
