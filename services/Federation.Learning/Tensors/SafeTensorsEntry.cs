namespace Federation.Learning.Tensors;

/// <summary>One validated tensor entry of a safetensors header; offsets are relative to the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, int Begin, int End);
