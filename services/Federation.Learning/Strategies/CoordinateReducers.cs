using System.Runtime.InteropServices;

namespace Federation.Learning.Strategies;

/// <summary>The per-coordinate reductions of sorted values used by the robust strategies.</summary>
internal static class CoordinateReducers
{
    /// <summary>The median of n sorted values: the middle one, or (lower + upper) / 2 in float32 when n is even.</summary>
    public static CoordinateSorter.BlockReducer Median(int n) => (keys, stride, destination) =>
    {
        int length = destination.Length;
        var upper = Row(keys, n / 2, stride, length);
        if (n % 2 == 1)
        {
            upper.CopyTo(destination);
        }
        else
        {
            var lower = Row(keys, (n / 2) - 1, stride, length);
            TensorPrimitives.Add(lower, upper, destination);
            TensorPrimitives.Divide(destination, 2f, destination);
        }
    };

    /// <summary>The mean of the sorted values k … n−k−1: summed in ascending order in float32, then divided by n − 2k.</summary>
    public static CoordinateSorter.BlockReducer TrimmedMean(int n, int k) => (keys, stride, destination) =>
    {
        int length = destination.Length;
        Row(keys, k, stride, length).CopyTo(destination);
        for (int r = k + 1; r < n - k; r++)
        {
            TensorPrimitives.Add(destination, Row(keys, r, stride, length), destination);
        }

        TensorPrimitives.Divide(destination, (float)(n - (2 * k)), destination);
    };

    /// <summary>
    /// Bulyan's second phase: the mean of the β sorted values closest to the coordinate's median. They form a
    /// contiguous run of the sorted values, grown from the median outwards one value at a time, taking the side whose
    /// float32 distance |x − median| is smaller and the lower side on a tie; the run is summed in ascending order in
    /// float32 and divided by β.
    /// </summary>
    public static CoordinateSorter.BlockReducer ClosestToMedianMean(int n, int beta) => (keys, stride, destination) =>
    {
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = ClosestToMedianMean(keys, stride, j, n, beta);
        }
    };

    private static float ClosestToMedianMean(Span<int> keys, int stride, int column, int n, int beta)
    {
        float median;
        int low;
        int high;
        int count;
        if (n % 2 == 1)
        {
            median = At(keys, stride, column, n / 2);
            low = (n / 2) - 1;
            high = (n / 2) + 1;
            count = 1;
        }
        else
        {
            median = (At(keys, stride, column, (n / 2) - 1) + At(keys, stride, column, n / 2)) / 2f;
            low = (n / 2) - 1;
            high = n / 2;
            count = 0;
        }

        for (; count < beta; count++)
        {
            if (low < 0)
            {
                high++;
            }
            else if (high >= n)
            {
                low--;
            }
            else if (At(keys, stride, column, high) - median < median - At(keys, stride, column, low))
            {
                high++;
            }
            else
            {
                low--;
            }
        }

        // The chosen run is low+1 … high−1.
        float sum = At(keys, stride, column, low + 1);
        for (int r = low + 2; r < high; r++)
        {
            sum += At(keys, stride, column, r);
        }

        return sum / beta;
    }

    private static float At(Span<int> keys, int stride, int column, int row) => CoordinateSorter.Value(keys[(row * stride) + column]);

    /// <summary>Row <paramref name="row"/> of the block turned back into floats, in place, and viewed as floats.</summary>
    private static Span<float> Row(Span<int> keys, int row, int stride, int length)
    {
        var span = keys.Slice(row * stride, length);
        CoordinateSorter.FlipKeys(span);
        return MemoryMarshal.Cast<int, float>(span);
    }
}
