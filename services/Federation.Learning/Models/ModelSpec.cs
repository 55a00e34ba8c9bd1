using Federation.Learning.Tensors;

namespace Federation.Learning.Models;

/// <summary>
/// The architecture of a model: its kind and sizes. Parameters live separately in a <see cref="TensorSet"/>;
/// since tensor names and shapes determine the spec, a model file is self-describing (<see cref="FromParameters"/>).
/// </summary>
public sealed record ModelSpec
{
    private ModelSpec(ModelKind kind, int inputs, int classes, int hidden)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        Kind = kind;
        Inputs = inputs;
        Classes = classes;
        Hidden = hidden;
    }

    /// <summary>The architecture.</summary>
    public ModelKind Kind { get; }

    /// <summary>The number of input features D.</summary>
    public int Inputs { get; }

    /// <summary>The number of classes C.</summary>
    public int Classes { get; }

    /// <summary>The hidden width H of an MLP; 0 for logistic regression.</summary>
    public int Hidden { get; }

    /// <summary>A multinomial logistic regression.</summary>
    /// <param name="inputs">The number of input features.</param>
    /// <param name="classes">The number of classes (at least 2).</param>
    /// <returns>The spec.</returns>
    public static ModelSpec LogisticRegression(int inputs, int classes) =>
        new(ModelKind.LogisticRegression, inputs, classes, hidden: 0);

    /// <summary>A one-hidden-layer ReLU perceptron.</summary>
    /// <param name="inputs">The number of input features.</param>
    /// <param name="hidden">The hidden width.</param>
    /// <param name="classes">The number of classes (at least 2).</param>
    /// <returns>The spec.</returns>
    public static ModelSpec Mlp(int inputs, int hidden, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        return new(ModelKind.Mlp, inputs, classes, hidden);
    }

    /// <summary>
    /// Creates initial parameters. Logistic regression starts at zero (its loss is convex, so nothing
    /// needs breaking symmetry). The MLP's hidden weights are He-uniform, U(±√(6/D)), which keeps ReLU
    /// activations at a stable scale; its output weights are Glorot-uniform, U(±√(6/(H+C))), suited to the
    /// linear layer before softmax; biases are zero.
    /// </summary>
    /// <param name="seed">The seed; the same seed gives the same parameters.</param>
    /// <returns>New parameters with this spec's layout.</returns>
    public TensorSet Initialize(int seed)
    {
        var parameters = Zeros();
        if (Kind == ModelKind.Mlp)
        {
            var random = new Random(seed);
            FillUniform(parameters[ParameterNames.HiddenWeight], Math.Sqrt(6.0 / Inputs), random);
            FillUniform(parameters[ParameterNames.OutputWeight], Math.Sqrt(6.0 / (Hidden + Classes)), random);
        }

        return parameters;
    }

    /// <summary>Whether <paramref name="parameters"/> has exactly this spec's layout; null when it does, otherwise the first difference.</summary>
    internal string? DescribeLayoutDifference(TensorSet parameters) => parameters.DescribeLayoutDifference(Zeros());

    /// <summary>All-zero parameters with this spec's names and shapes.</summary>
    private TensorSet Zeros() => Kind == ModelKind.LogisticRegression
        ? new TensorSet(
        [
            Tensor.Zeros(ParameterNames.LinearWeight, Classes, Inputs),
            Tensor.Zeros(ParameterNames.LinearBias, Classes),
        ])
        : new TensorSet(
        [
            Tensor.Zeros(ParameterNames.HiddenWeight, Hidden, Inputs),
            Tensor.Zeros(ParameterNames.HiddenBias, Hidden),
            Tensor.Zeros(ParameterNames.OutputWeight, Classes, Hidden),
            Tensor.Zeros(ParameterNames.OutputBias, Classes),
        ]);

    /// <summary>Infers the spec from tensor names and shapes.</summary>
    /// <param name="parameters">Parameters of a logistic regression or MLP, and nothing else.</param>
    /// <returns>The spec whose <see cref="Initialize"/> would produce this layout.</returns>
    /// <exception cref="ArgumentException">The set is not exactly the layout of a supported model.</exception>
    public static ModelSpec FromParameters(TensorSet parameters) =>
        TryFromParameters(parameters, out var reason) ?? throw new ArgumentException($"the parameters are not a Federation model: {reason}", nameof(parameters));

    /// <summary>
    /// As <see cref="FromParameters"/>, for a model that may be of another layout (a model team's own network, which only
    /// an external trainer can train).
    /// </summary>
    /// <param name="parameters">Any parameters.</param>
    /// <param name="reason">When null is returned: why the set is not a built-in layout.</param>
    /// <returns>The spec, or null when the set is not exactly the layout of a built-in model.</returns>
    public static ModelSpec? TryFromParameters(TensorSet parameters, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        reason = null;
        ModelSpec spec;
        if (parameters.TryGet(ParameterNames.LinearWeight, out var linear))
        {
            if (linear.Shape is not [int classes, int inputs] || classes < 2 || inputs < 1)
            {
                reason = $"'{ParameterNames.LinearWeight}' has shape {ShapeText.Format(linear.Shape)}; expected [classes ≥ 2, inputs ≥ 1]";
                return null;
            }

            spec = LogisticRegression(inputs, classes);
        }
        else if (parameters.TryGet(ParameterNames.HiddenWeight, out var hidden)
                 && parameters.TryGet(ParameterNames.OutputWeight, out var output))
        {
            if (hidden.Shape is not [int width, int inputs] || output.Shape is not [int classes, _] || width < 1 || inputs < 1 || classes < 2)
            {
                reason = $"'{ParameterNames.HiddenWeight}' has shape {ShapeText.Format(hidden.Shape)} and '{ParameterNames.OutputWeight}' has shape {ShapeText.Format(output.Shape)}";
                return null;
            }

            spec = Mlp(inputs, width, classes);
        }
        else
        {
            reason = $"it has neither '{ParameterNames.LinearWeight}' nor both '{ParameterNames.HiddenWeight}' and '{ParameterNames.OutputWeight}'";
            return null;
        }

        // Every other name and shape must then match exactly what the spec implies.
        reason = spec.DescribeLayoutDifference(parameters);
        return reason is null ? spec : null;
    }

    private static void FillUniform(Tensor tensor, double bound, Random random)
    {
        for (int i = 0; i < tensor.Values.Length; i++)
        {
            tensor.Values[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * bound);
        }
    }
}
