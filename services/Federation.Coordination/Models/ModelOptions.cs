using Federation.Learning.Models;

namespace Federation.Coordination.Models;

/// <summary>The initial model. Configured under <c>Aggregator:Model</c>.</summary>
public sealed class ModelOptions
{
    /// <summary><c>LogisticRegression</c> or <c>Mlp</c>.</summary>
    public ModelKind Kind { get; set; } = ModelKind.LogisticRegression;

    /// <summary>Input features (784 for 28×28 images).</summary>
    public int Inputs { get; set; } = 784;

    /// <summary>Output classes.</summary>
    public int Classes { get; set; } = 10;

    /// <summary>Hidden units of the MLP.</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Seed of the initial weights.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The model specification these options describe.</summary>
    public ModelSpec ToSpec() => Kind switch
    {
        ModelKind.LogisticRegression => ModelSpec.LogisticRegression(Inputs, Classes),
        ModelKind.Mlp => ModelSpec.Mlp(Inputs, Hidden, Classes),
        _ => throw new InvalidOperationException($"Setting Aggregator:Model:Kind has unknown value {Kind}."),
    };
}
