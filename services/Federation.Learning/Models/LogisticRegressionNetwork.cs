using Federation.Learning.Tensors;

namespace Federation.Learning.Models;

/// <summary>z = W x + b, p = softmax(z); the loss gradient is (p − onehot(y)) xᵀ for W and p − onehot(y) for b.</summary>
internal sealed class LogisticRegressionNetwork : Network
{
    private readonly int _inputs;
    private readonly float[] _weight;
    private readonly float[] _bias;
    private readonly float[]? _weightGradient;
    private readonly float[]? _biasGradient;
    private readonly float[] _logits;
    private readonly float[] _probabilities;

    public LogisticRegressionNetwork(ModelSpec spec, TensorSet parameters, TensorSet? gradient)
    {
        _inputs = spec.Inputs;
        _weight = parameters[ParameterNames.LinearWeight].Values;
        _bias = parameters[ParameterNames.LinearBias].Values;
        _weightGradient = GradientOf(gradient, ParameterNames.LinearWeight, parameters);
        _biasGradient = GradientOf(gradient, ParameterNames.LinearBias, parameters);
        _logits = new float[spec.Classes];
        _probabilities = new float[spec.Classes];
    }

    public override ReadOnlySpan<float> Probabilities => _probabilities;

    public override float Forward(ReadOnlySpan<float> features, int label)
    {
        for (int c = 0; c < _logits.Length; c++)
        {
            _logits[c] = _bias[c] + TensorPrimitives.Dot(_weight.AsSpan(c * _inputs, _inputs), features);
        }

        return SoftmaxCrossEntropy.Compute(_logits, label, _probabilities);
    }

    public override void Backward(ReadOnlySpan<float> features, int label)
    {
        var weightGradient = Required(_weightGradient);
        var biasGradient = Required(_biasGradient);
        for (int c = 0; c < _probabilities.Length; c++)
        {
            float delta = _probabilities[c] - (c == label ? 1f : 0f);
            biasGradient[c] += delta;
            var row = weightGradient.AsSpan(c * _inputs, _inputs);
            TensorPrimitives.MultiplyAdd(features, delta, row, row);
        }
    }
}
