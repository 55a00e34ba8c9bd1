using System.Numerics;
using System.Runtime.InteropServices;
using Federation.Learning.Tensors;

namespace Federation.Learning.Strategies;

/// <summary>
/// Sorts, coordinate by coordinate, the values that n updates hold for each element of a tensor, and hands each
/// block of sorted values to a reducer (median, trimmed mean, Bulyan's closest-to-median mean).
/// </summary>
/// <remarks>
/// <para>
/// Values are sorted by the IEEE 754 total order restricted to finite numbers (−0 before +0), using the integer
/// key <c>bits ^ ((bits &gt;&gt; 31) &amp; 0x7FFFFFFF)</c>, which orders like the floats and maps back to them by the same
/// formula. The sorted values of a coordinate therefore depend only on the multiset of its values, never on the
/// input order or the machine.
/// </para>
/// <para>
/// Speed comes from layout rather than cleverness: a block of B coordinates is transposed into n rows of B keys
/// (sized to stay in the L2 cache), and one data-independent sorting network (Batcher's odd–even merge sort) sorts
/// all B columns at once, each comparator being a vectorized min/max of two rows.
/// </para>
/// </remarks>
internal sealed class CoordinateSorter
{
    private const int TargetBlockBytes = 256 * 1024;

    private readonly (int Low, int High)[] _comparators;
    private readonly int[] _keys;

    /// <summary>Prepares a sorter for <paramref name="rowCount"/> values per coordinate.</summary>
    public CoordinateSorter(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowCount);
        RowCount = rowCount;
        int lanes = Vector<int>.Count;
        BlockLength = Math.Max(lanes, TargetBlockBytes / sizeof(int) / rowCount / lanes * lanes);
        _comparators = OddEvenMergeSortNetwork(rowCount);
        _keys = new int[rowCount * BlockLength];
    }

    /// <summary>Reduces one block: <paramref name="keys"/> holds n sorted rows of <see cref="BlockLength"/> keys each (only the first <c>destination.Length</c> used).</summary>
    public delegate void BlockReducer(Span<int> keys, int stride, Span<float> destination);

    /// <summary>n, the number of values per coordinate.</summary>
    public int RowCount { get; }

    /// <summary>B, the number of coordinates sorted together; also the row stride of the key buffer.</summary>
    public int BlockLength { get; }

    /// <summary>The number of compare-exchange steps per block, for tests and estimates.</summary>
    public int ComparatorCount => _comparators.Length;

    /// <summary>Maps a float to its order key, or a key back to its float (the map is its own inverse).</summary>
    public static int Key(int bits) => bits ^ ((bits >> 31) & 0x7FFFFFFF);

    /// <summary>The float a key stands for.</summary>
    public static float Value(int key) => BitConverter.Int32BitsToSingle(Key(key));

    /// <summary>Applies <see cref="Key"/> to every element, in place.</summary>
    public static void FlipKeys(Span<int> span)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var mask = new Vector<int>(0x7FFFFFFF);
            var vectors = MemoryMarshal.Cast<int, Vector<int>>(span);
            for (int v = 0; v < vectors.Length; v++)
            {
                var x = vectors[v];
                vectors[v] = x ^ (Vector.ShiftRightArithmetic(x, 31) & mask);
            }

            i = vectors.Length * Vector<int>.Count;
        }

        for (; i < span.Length; i++)
        {
            span[i] = Key(span[i]);
        }
    }

    /// <summary>
    /// The step of a coordinate-wise strategy: for every tensor of <paramref name="globalModel"/>,
    /// each coordinate of the result is <paramref name="reducer"/> applied to that coordinate across <paramref name="updates"/>.
    /// </summary>
    public static TensorSet Step(TensorSet globalModel, IReadOnlyList<ClientUpdate> updates, BlockReducer reducer)
    {
        var step = TensorSet.ZerosLike(globalModel);
        var sorter = new CoordinateSorter(updates.Count);
        for (int t = 0; t < step.Count; t++)
        {
            sorter.Reduce(StrategyMath.Column(updates, t), step[t].Values, reducer);
        }

        return step;
    }

    /// <summary>Sorts every coordinate of <paramref name="rows"/> (n arrays of equal length) and reduces it into <paramref name="destination"/>.</summary>
    public void Reduce(float[][] rows, float[] destination, BlockReducer reducer)
    {
        if (rows.Length != RowCount)
        {
            throw new ArgumentException($"expected {RowCount} rows, got {rows.Length}", nameof(rows));
        }

        int stride = BlockLength;
        for (int start = 0; start < destination.Length; start += stride)
        {
            int length = Math.Min(stride, destination.Length - start);
            var keys = _keys.AsSpan();
            for (int r = 0; r < rows.Length; r++)
            {
                var row = keys.Slice(r * stride, length);
                MemoryMarshal.Cast<float, int>(rows[r].AsSpan(start, length)).CopyTo(row);
                FlipKeys(row);
            }

            foreach (var (low, high) in _comparators)
            {
                CompareExchange(keys.Slice(low * stride, length), keys.Slice(high * stride, length));
            }

            reducer(keys, stride, destination.AsSpan(start, length));
        }
    }

    /// <summary>
    /// Batcher's odd–even merge sort for the next power of two P ≥ n, minus every comparator that touches a row ≥ n:
    /// imagining rows n…P−1 filled with +∞, such a comparator never moves anything, so the pruned network sorts n rows.
    /// </summary>
    internal static (int Low, int High)[] OddEvenMergeSortNetwork(int n)
    {
        int size = 1;
        while (size < n)
        {
            size *= 2;
        }

        var comparators = new List<(int, int)>();
        for (int p = 1; p < size; p *= 2)
        {
            for (int k = p; k >= 1; k /= 2)
            {
                for (int j = k % p; j <= size - 1 - k; j += 2 * k)
                {
                    for (int i = 0; i <= Math.Min(k - 1, size - j - k - 1); i++)
                    {
                        int low = i + j;
                        int high = i + j + k;
                        if (low / (2 * p) == high / (2 * p) && high < n)
                        {
                            comparators.Add((low, high));
                        }
                    }
                }
            }
        }

        return [.. comparators];
    }

    private static void CompareExchange(Span<int> low, Span<int> high)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lows = MemoryMarshal.Cast<int, Vector<int>>(low);
            var highs = MemoryMarshal.Cast<int, Vector<int>>(high);
            for (int v = 0; v < lows.Length; v++)
            {
                var a = lows[v];
                var b = highs[v];
                lows[v] = Vector.Min(a, b);
                highs[v] = Vector.Max(a, b);
            }

            i = lows.Length * Vector<int>.Count;
        }

        for (; i < low.Length; i++)
        {
            int a = low[i];
            int b = high[i];
            if (b < a)
            {
                low[i] = b;
                high[i] = a;
            }
        }
    }
}
