// An alias rather than `using System.Numerics.Tensors;` because that namespace also
// declares a `Tensor` type, which would clash with Federation.Learning.Tensors.Tensor.
global using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
