using System.Collections;
using System.Globalization;

namespace Federation.Learning.Tensors;

/// <summary>
/// The parameters of one model: tensors with unique names, kept in ordinal name order so that
/// every walk over the set (serialization, aggregation, comparison) happens in the same order.
/// </summary>
public sealed class TensorSet : IReadOnlyList<Tensor>
{
    private readonly Tensor[] _tensors;
    private readonly Dictionary<string, Tensor> _byName;

    /// <summary>Creates a set from tensors in any order; they are sorted by name (ordinal).</summary>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <exception cref="ArgumentException">Two tensors share a name.</exception>
    public TensorSet(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);

        _tensors = [.. tensors];
        foreach (var tensor in _tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
        }

        Array.Sort(_tensors, static (a, b) => string.CompareOrdinal(a.Name, b.Name));

        _byName = new Dictionary<string, Tensor>(_tensors.Length, StringComparer.Ordinal);
        foreach (var tensor in _tensors)
        {
            if (!_byName.TryAdd(tensor.Name, tensor))
            {
                throw new ArgumentException($"duplicate tensor name '{tensor.Name}'", nameof(tensors));
            }
        }
    }

    /// <summary>The number of tensors.</summary>
    public int Count => _tensors.Length;

    /// <summary>The total number of float elements over all tensors.</summary>
    public long ElementCount
    {
        get
        {
            long total = 0;
            foreach (var tensor in _tensors)
            {
                total += tensor.ElementCount;
            }

            return total;
        }
    }

    /// <summary>The tensor at <paramref name="index"/> in ordinal name order.</summary>
    /// <param name="index">A position from 0 to <see cref="Count"/> - 1.</param>
    public Tensor this[int index] => _tensors[index];

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor this[string name] =>
        TryGet(name, out var tensor) ? tensor : throw new KeyNotFoundException($"missing tensor '{name}'");

    /// <summary>Looks up a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    /// <returns>True when the set has a tensor with that name.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>A deep copy: new value arrays with the same names and shapes.</summary>
    /// <returns>The copy.</returns>
    public TensorSet Clone() =>
        new(Array.ConvertAll(_tensors, static t => new Tensor(t.Name, t.Shape, (float[])t.Values.Clone())));

    /// <summary>A set with the same names and shapes as <paramref name="layout"/>, filled with zeros.</summary>
    /// <param name="layout">The set whose layout to copy.</param>
    /// <returns>The zero set.</returns>
    public static TensorSet ZerosLike(TensorSet layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new(Array.ConvertAll(layout._tensors, static t => new Tensor(t.Name, t.Shape, new float[t.Values.Length])));
    }

    /// <summary>Element-wise <c>this - other</c>, e.g. the update a client made to a global model.</summary>
    /// <param name="other">A set with exactly the same layout.</param>
    /// <returns>A new set.</returns>
    /// <exception cref="ArgumentException">The layouts differ.</exception>
    public TensorSet Subtract(TensorSet other) => Combine(other, static (x, y, d) => TensorPrimitives.Subtract(x, y, d));

    /// <summary>Element-wise <c>this + other</c>, e.g. applying an update to a model.</summary>
    /// <param name="other">A set with exactly the same layout.</param>
    /// <returns>A new set.</returns>
    /// <exception cref="ArgumentException">The layouts differ.</exception>
    public TensorSet Add(TensorSet other) => Combine(other, static (x, y, d) => TensorPrimitives.Add(x, y, d));

    /// <summary>
    /// Compares this set's names and shapes with <paramref name="expected"/>.
    /// </summary>
    /// <param name="expected">The layout this set should have.</param>
    /// <returns>
    /// Null when names and shapes match exactly; otherwise one sentence describing the first difference
    /// in name order, e.g. <c>tensor 'linear.weight' has shape [10, 783]; expected [10, 784]</c>,
    /// <c>unexpected tensor 'x'</c> or <c>missing tensor 'linear.bias'</c>.
    /// </returns>
    public string? DescribeLayoutDifference(TensorSet expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (HasSameLayout(expected))
        {
            return null;
        }

        // Both sides are sorted by name, so a merge walk finds the first difference in name order.
        int i = 0, j = 0;
        while (i < _tensors.Length && j < expected._tensors.Length)
        {
            var actual = _tensors[i];
            var wanted = expected._tensors[j];
            int order = string.CompareOrdinal(actual.Name, wanted.Name);
            if (order < 0)
            {
                return $"unexpected tensor '{actual.Name}'";
            }

            if (order > 0)
            {
                return $"missing tensor '{wanted.Name}'";
            }

            if (!actual.HasSameLayout(wanted))
            {
                return $"tensor '{actual.Name}' has shape {ShapeText.Format(actual.Shape)}; expected {ShapeText.Format(wanted.Shape)}";
            }

            i++;
            j++;
        }

        return i < _tensors.Length
            ? $"unexpected tensor '{_tensors[i].Name}'"
            : $"missing tensor '{expected._tensors[j].Name}'";
    }

    /// <summary>
    /// Whether names and shapes match exactly. Unlike <see cref="DescribeLayoutDifference"/> this never allocates,
    /// which matters on hot paths such as aggregation.
    /// </summary>
    /// <param name="other">The set to compare with.</param>
    /// <returns>True when the layouts are identical.</returns>
    public bool HasSameLayout(TensorSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._tensors.Length != _tensors.Length)
        {
            return false;
        }

        for (int i = 0; i < _tensors.Length; i++)
        {
            if (!_tensors[i].HasSameLayout(other._tensors[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Finds the first NaN or infinite element, in name order then index order.</summary>
    /// <returns>Null when every element is finite; otherwise e.g. <c>tensor 'linear.bias' has NaN at index 3</c>.</returns>
    public string? FindNonFinite()
    {
        foreach (var tensor in _tensors)
        {
            var values = tensor.Values;
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    return string.Create(
                        CultureInfo.InvariantCulture,
                        $"tensor '{tensor.Name}' has {values[i]} at index {i}");
                }
            }
        }

        return null;
    }

    /// <summary>The Euclidean norm of all elements together, accumulated in double precision.</summary>
    /// <returns>The square root of the sum of squares.</returns>
    public double L2Norm()
    {
        // A float accumulator would lose precision over millions of elements; double keeps the norm
        // meaningful for clipping and anomaly checks.
        double sum = 0;
        foreach (var tensor in _tensors)
        {
            foreach (float value in tensor.Values)
            {
                sum += (double)value * value;
            }
        }

        return Math.Sqrt(sum);
    }

    /// <inheritdoc />
    public IEnumerator<Tensor> GetEnumerator() => ((IEnumerable<Tensor>)_tensors).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private delegate void ElementWise(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    private TensorSet Combine(TensorSet other, ElementWise operation)
    {
        ArgumentNullException.ThrowIfNull(other);
        string? difference = other.DescribeLayoutDifference(this);
        if (difference is not null)
        {
            throw new ArgumentException($"the tensor sets have different layouts: {difference}", nameof(other));
        }

        var result = new Tensor[_tensors.Length];
        for (int i = 0; i < _tensors.Length; i++)
        {
            var values = new float[_tensors[i].Values.Length];
            operation(_tensors[i].Values, other._tensors[i].Values, values);
            result[i] = new Tensor(_tensors[i].Name, _tensors[i].Shape, values);
        }

        return new TensorSet(result);
    }
}
