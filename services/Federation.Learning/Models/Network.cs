using Federation.Learning.Data;
using Federation.Learning.Tensors;

namespace Federation.Learning.Models;

/// <summary>
/// The per-sample math of a model, bound to one parameter set (read) and optionally one gradient set
/// (accumulated into). It owns its scratch buffers, so the training loop allocates nothing per sample.
/// </summary>
internal abstract class Network
{
    /// <summary>The class probabilities of the last <see cref="Forward"/>.</summary>
    public abstract ReadOnlySpan<float> Probabilities { get; }

    /// <summary>Binds the math for <paramref name="spec"/> to parameter (and gradient) arrays after checking their layout.</summary>
    public static Network Create(ModelSpec spec, TensorSet parameters, TensorSet? gradient = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        string? difference = spec.DescribeLayoutDifference(parameters);
        if (difference is not null)
        {
            throw new ArgumentException($"the parameters do not match the model spec: {difference}", nameof(parameters));
        }

        return spec.Kind == ModelKind.LogisticRegression
            ? new LogisticRegressionNetwork(spec, parameters, gradient)
            : new MlpNetwork(spec, parameters, gradient);
    }

    /// <summary>Checks that <paramref name="data"/> can be fed to a model of <paramref name="spec"/>.</summary>
    public static void CheckDataset(ModelSpec spec, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != spec.Inputs)
        {
            throw new ArgumentException($"the dataset has {data.FeatureCount} features per sample; the model expects {spec.Inputs}", nameof(data));
        }

        if (data.ClassCount > spec.Classes)
        {
            throw new ArgumentException($"the dataset has {data.ClassCount} classes; the model only has {spec.Classes}", nameof(data));
        }
    }

    /// <summary>Computes <see cref="Probabilities"/> for one sample and returns its cross-entropy loss.</summary>
    public abstract float Forward(ReadOnlySpan<float> features, int label);

    /// <summary>Adds the loss gradient of the sample last passed to <see cref="Forward"/> to the gradient set.</summary>
    public abstract void Backward(ReadOnlySpan<float> features, int label);

    /// <summary>The gradient array bound to <paramref name="name"/>, or a clear error when there is none.</summary>
    protected static float[]? GradientOf(TensorSet? gradient, string name, TensorSet parameters)
    {
        if (gradient is null)
        {
            return null;
        }

        if (!gradient.HasSameLayout(parameters))
        {
            throw new ArgumentException("the gradient set must have the parameters' layout", nameof(gradient));
        }

        return gradient[name].Values;
    }

    /// <summary>The gradient array, or an error when the network was created for inference only.</summary>
    protected static float[] Required(float[]? gradient) =>
        gradient ?? throw new InvalidOperationException("this network was created without a gradient set");
}
