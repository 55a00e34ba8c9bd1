using System.Globalization;

namespace Federation.Learning.Tensors;

/// <summary>Shape helpers shared by tensors, sets and the safetensors reader.</summary>
internal static class ShapeText
{
    /// <summary>Formats a shape the way error messages show it: <c>[10, 784]</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>The product of the dimensions; rejects negative dimensions and overflow.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape, string name)
    {
        long count = 1;
        foreach (int dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"tensor '{name}' has a negative dimension in shape {Format(shape)}");
            }

            // Dimensions are at most int.MaxValue, so this only overflows after many of them.
            try
            {
                count = checked(count * dimension);
            }
            catch (OverflowException)
            {
                throw new ArgumentException($"tensor '{name}' has shape {Format(shape)}, whose element count overflows");
            }
        }

        return count;
    }
}
