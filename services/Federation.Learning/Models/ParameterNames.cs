namespace Federation.Learning.Models;

/// <summary>
/// Tensor names, following PyTorch's state_dict naming so that a model file can be loaded into an
/// equivalent torch module (nn.Linear stores weight as [out, in]).
/// </summary>
internal static class ParameterNames
{
    public const string LinearWeight = "linear.weight";
    public const string LinearBias = "linear.bias";
    public const string HiddenWeight = "hidden.weight";
    public const string HiddenBias = "hidden.bias";
    public const string OutputWeight = "output.weight";
    public const string OutputBias = "output.bias";
}
