using Federation.Learning.Tensors;

namespace Federation.Learning.Models;

/// <summary>
/// a = relu(W₁ x + b₁), z = W₂ a + b₂, p = softmax(z). Backpropagation: δ₂ = p − onehot(y);
/// ∇W₂ = δ₂ aᵀ, ∇b₂ = δ₂; δ₁ = (W₂ᵀ δ₂) ⊙ [W₁ x + b₁ &gt; 0]; ∇W₁ = δ₁ xᵀ, ∇b₁ = δ₁.
/// </summary>
internal sealed class MlpNetwork : Network
{
    private readonly int _inputs;
    private readonly int _hidden;
    private readonly float[] _hiddenWeight;
    private readonly float[] _hiddenBias;
    private readonly float[] _outputWeight;
    private readonly float[] _outputBias;
    private readonly float[]? _hiddenWeightGradient;
    private readonly float[]? _hiddenBiasGradient;
    private readonly float[]? _outputWeightGradient;
    private readonly float[]? _outputBiasGradient;
    private readonly float[] _preActivation;
    private readonly float[] _activation;
    private readonly float[] _hiddenDelta;
    private readonly float[] _logits;
    private readonly float[] _probabilities;

    public MlpNetwork(ModelSpec spec, TensorSet parameters, TensorSet? gradient)
    {
        _inputs = spec.Inputs;
        _hidden = spec.Hidden;
        _hiddenWeight = parameters[ParameterNames.HiddenWeight].Values;
        _hiddenBias = parameters[ParameterNames.HiddenBias].Values;
        _outputWeight = parameters[ParameterNames.OutputWeight].Values;
        _outputBias = parameters[ParameterNames.OutputBias].Values;
        _hiddenWeightGradient = GradientOf(gradient, ParameterNames.HiddenWeight, parameters);
        _hiddenBiasGradient = GradientOf(gradient, ParameterNames.HiddenBias, parameters);
        _outputWeightGradient = GradientOf(gradient, ParameterNames.OutputWeight, parameters);
        _outputBiasGradient = GradientOf(gradient, ParameterNames.OutputBias, parameters);
        _preActivation = new float[_hidden];
        _activation = new float[_hidden];
        _hiddenDelta = new float[_hidden];
        _logits = new float[spec.Classes];
        _probabilities = new float[spec.Classes];
    }

    public override ReadOnlySpan<float> Probabilities => _probabilities;

    public override float Forward(ReadOnlySpan<float> features, int label)
    {
        for (int j = 0; j < _hidden; j++)
        {
            _preActivation[j] = _hiddenBias[j] + TensorPrimitives.Dot(_hiddenWeight.AsSpan(j * _inputs, _inputs), features);
        }

        TensorPrimitives.Max(_preActivation, 0f, _activation);

        for (int c = 0; c < _logits.Length; c++)
        {
            _logits[c] = _outputBias[c] + TensorPrimitives.Dot(_outputWeight.AsSpan(c * _hidden, _hidden), _activation);
        }

        return SoftmaxCrossEntropy.Compute(_logits, label, _probabilities);
    }

    public override void Backward(ReadOnlySpan<float> features, int label)
    {
        var hiddenWeightGradient = Required(_hiddenWeightGradient);
        var hiddenBiasGradient = Required(_hiddenBiasGradient);
        var outputWeightGradient = Required(_outputWeightGradient);
        var outputBiasGradient = Required(_outputBiasGradient);

        Array.Clear(_hiddenDelta);
        for (int c = 0; c < _probabilities.Length; c++)
        {
            float delta = _probabilities[c] - (c == label ? 1f : 0f);
            outputBiasGradient[c] += delta;
            var gradientRow = outputWeightGradient.AsSpan(c * _hidden, _hidden);
            TensorPrimitives.MultiplyAdd(_activation, delta, gradientRow, gradientRow);
            TensorPrimitives.MultiplyAdd(_outputWeight.AsSpan(c * _hidden, _hidden), delta, _hiddenDelta, _hiddenDelta);
        }

        for (int j = 0; j < _hidden; j++)
        {
            // ReLU passes gradient only where it was active; inactive units (often half or more)
            // are skipped entirely, which is the most expensive row update saved.
            if (_preActivation[j] <= 0f)
            {
                continue;
            }

            float delta = _hiddenDelta[j];
            hiddenBiasGradient[j] += delta;
            var gradientRow = hiddenWeightGradient.AsSpan(j * _inputs, _inputs);
            TensorPrimitives.MultiplyAdd(features, delta, gradientRow, gradientRow);
        }
    }
}
