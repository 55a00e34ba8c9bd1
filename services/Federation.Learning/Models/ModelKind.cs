namespace Federation.Learning.Models;

/// <summary>The model architectures Federation trains.</summary>
public enum ModelKind
{
    /// <summary>Multinomial logistic regression: <c>linear.weight</c> [C, D], <c>linear.bias</c> [C].</summary>
    LogisticRegression,

    /// <summary>
    /// One-hidden-layer perceptron with ReLU: <c>hidden.weight</c> [H, D], <c>hidden.bias</c> [H],
    /// <c>output.weight</c> [C, H], <c>output.bias</c> [C].
    /// </summary>
    Mlp,
}
