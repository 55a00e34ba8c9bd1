namespace Federation.Learning.Tensors;

/// <summary>One validated tensor entry of a safetensors header.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">Its stored dtype: F32, F16 or BF16.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Begin">Where its bytes begin, relative to the data buffer.</param>
/// <param name="End">Where its bytes end (exclusive), relative to the data buffer.</param>
public sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, int Begin, int End);
