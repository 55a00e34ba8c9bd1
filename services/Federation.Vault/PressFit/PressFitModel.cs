using Federation.Learning.Models;

namespace Federation.Vault.PressFit;

/// <summary>The press-fit classifier the model team announces for force-curve rounds.</summary>
public static class PressFitModel
{
    /// <summary>
    /// A one-hidden-layer MLP: 64 resampled forces in, 16 ReLU units, 2 classes (good, faulty). Set the aggregator's
    /// <c>Aggregator:Model</c> to Kind = Mlp, Inputs = 64, Hidden = 16, Classes = 2.
    /// </summary>
    public static ModelSpec Spec { get; } = ModelSpec.Mlp(PressFitFeatures.Count, 16, 2);
}
