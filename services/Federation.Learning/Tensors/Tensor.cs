namespace Federation.Learning.Tensors;

/// <summary>
/// A named, dense, row-major float32 array with a shape, e.g. <c>linear.weight</c> of shape [10, 784].
/// </summary>
public sealed class Tensor
{
    /// <summary>Creates a tensor; <paramref name="values"/> is taken as is (not copied) and must hold exactly the product of <paramref name="shape"/> elements.</summary>
    /// <param name="name">The parameter name, e.g. <c>hidden.weight</c>.</param>
    /// <param name="shape">The dimensions, outermost first; an empty shape is a scalar.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <exception cref="ArgumentException">The name is empty, a dimension is negative, or the element count does not match the shape.</exception>
    public Tensor(string name, int[] shape, float[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);

        long expected = ShapeText.ElementCount(shape, name);
        if (expected != values.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}' has shape {ShapeText.Format(shape)}, which needs {expected} values, but {values.Length} were given",
                nameof(values));
        }

        Name = name;
        // The shape is copied so that a caller reusing its array cannot break the invariant above.
        Shape = (int[])shape.Clone();
        Values = values;
    }

    /// <summary>The parameter name, e.g. <c>linear.bias</c>.</summary>
    public string Name { get; }

    /// <summary>The dimensions, outermost first (PyTorch convention: nn.Linear weight is [out, in]).</summary>
    public int[] Shape { get; }

    /// <summary>The elements in row-major order; <c>Values.Length</c> equals the product of <see cref="Shape"/>.</summary>
    public float[] Values { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount => Values.Length;

    /// <summary>Creates a tensor of zeros with the given shape.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <returns>A new zero-filled tensor.</returns>
    public static Tensor Zeros(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = ShapeText.ElementCount(shape, name);
        if (count > Array.MaxLength)
        {
            throw new ArgumentException($"tensor '{name}' with shape {ShapeText.Format(shape)} is too large for one array", nameof(shape));
        }

        return new Tensor(name, shape, new float[count]);
    }

    /// <summary>Whether <paramref name="other"/> has the same name and shape (values are not compared).</summary>
    /// <param name="other">The tensor to compare with.</param>
    /// <returns>True when name and shape are identical.</returns>
    public bool HasSameLayout(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(Name, other.Name, StringComparison.Ordinal)
            && Shape.AsSpan().SequenceEqual(other.Shape);
    }

    /// <summary>Returns a description such as <c>linear.weight [10, 784]</c>.</summary>
    /// <returns>The name and the shape.</returns>
    public override string ToString() => $"{Name} {ShapeText.Format(Shape)}";
}
