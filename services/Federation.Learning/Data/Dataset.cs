namespace Federation.Learning.Data;

/// <summary>
/// Labelled samples held in memory: <see cref="Count"/> rows of <see cref="FeatureCount"/> floats
/// (row-major in one array, so training walks memory sequentially) and one class label per row.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a dataset; the arrays are taken as is (not copied).</summary>
    /// <param name="features">Count × featureCount floats, row-major.</param>
    /// <param name="labels">One label per sample, each below <paramref name="classCount"/>.</param>
    /// <param name="featureCount">The number of features per sample.</param>
    /// <param name="classCount">The number of classes (labels are bytes, so at most 256).</param>
    /// <exception cref="ArgumentException">The sizes disagree or a label is out of range.</exception>
    public Dataset(float[] features, byte[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);

        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException(
                $"{labels.Length} labels × {featureCount} features need {(long)labels.Length * featureCount} feature values, but {features.Length} were given",
                nameof(features));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new ArgumentException($"label {labels[i]} of sample {i} is not below the class count {classCount}", nameof(labels));
            }
        }

        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>The features of all samples, <see cref="Count"/> × <see cref="FeatureCount"/>, row-major.</summary>
    public float[] Features { get; }

    /// <summary>The class label of each sample.</summary>
    public byte[] Labels { get; }

    /// <summary>The number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The number of features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>The number of classes; every label is below it.</summary>
    public int ClassCount { get; }

    /// <summary>The features of one sample.</summary>
    /// <param name="index">The sample index.</param>
    /// <returns>A view of <see cref="FeatureCount"/> floats.</returns>
    public ReadOnlySpan<float> FeaturesOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Features.AsSpan(index * FeatureCount, FeatureCount);
    }

    /// <summary>A new dataset with copies of the samples at <paramref name="indices"/>, in that order.</summary>
    /// <param name="indices">Sample indices; repeats are allowed.</param>
    /// <returns>The subset.</returns>
    public Dataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var features = new float[(long)indices.Count * FeatureCount];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            FeaturesOf(indices[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[indices[i]];
        }

        return new Dataset(features, labels, FeatureCount, ClassCount);
    }

    /// <summary>Joins datasets end to end, e.g. client partitions back into a centralized baseline.</summary>
    /// <param name="parts">Datasets with the same feature and class counts.</param>
    /// <returns>A new dataset with all samples in order.</returns>
    /// <exception cref="ArgumentException">No parts, or the parts disagree on feature or class count.</exception>
    public static Dataset Concat(IReadOnlyList<Dataset> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("at least one dataset is needed", nameof(parts));
        }

        var first = parts[0];
        if (parts.Any(p => p.FeatureCount != first.FeatureCount || p.ClassCount != first.ClassCount))
        {
            throw new ArgumentException("all datasets must have the same feature count and class count", nameof(parts));
        }

        var features = new float[parts.Sum(p => (long)p.Features.Length)];
        var labels = new byte[parts.Sum(p => p.Labels.Length)];
        long featureOffset = 0;
        int labelOffset = 0;
        foreach (var part in parts)
        {
            part.Features.CopyTo(features, featureOffset);
            part.Labels.CopyTo(labels, labelOffset);
            featureOffset += part.Features.Length;
            labelOffset += part.Labels.Length;
        }

        return new Dataset(features, labels, first.FeatureCount, first.ClassCount);
    }
}
