namespace Federation.Learning.Models;

/// <summary>The numerically stable softmax and cross-entropy shared by every model's output layer.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Writes softmax(<paramref name="logits"/>) into <paramref name="probabilities"/> and returns
    /// −ln p[label], computed as ln Σ exp(z − max) − (z[label] − max) so that large logits neither
    /// overflow nor turn a confident mistake into an infinite loss.
    /// </summary>
    public static float Compute(ReadOnlySpan<float> logits, int label, Span<float> probabilities)
    {
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, probabilities);
        float shiftedLabelLogit = probabilities[label];
        TensorPrimitives.Exp(probabilities, probabilities);
        float sum = TensorPrimitives.Sum(probabilities);
        TensorPrimitives.Divide(probabilities, sum, probabilities);
        return MathF.Log(sum) - shiftedLabelLogit;
    }
}
