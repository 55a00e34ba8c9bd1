using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Federation.Benchmarks;

/// <summary>
/// How fast the aggregator can aggregate, measured against what the memory system allows:
/// (1) a STREAM-style triad as the bandwidth ceiling, (2) FedAvg and FedMedian throughput on 32 updates,
/// (3) FedAvg's peak memory over 100 lazily generated updates, to show it holds about one model, not a hundred.
/// </summary>
public sealed class AggregationBenchmark : IBenchmark
{
    private const int TriadLength = 64 * 1024 * 1024;
    private const int TriadRepetitions = 8;
    private const int UpdateCount = 32;
    private const int Runs = 3;
    private const int LazyUpdateCount = 100;
    private const int LargeModel = 10_000_000;

    private readonly List<string[]> _rows = [];

    /// <inheritdoc />
    public string Name => "aggregation";

    /// <inheritdoc />
    public string Description => "STREAM triad vs FedAvg/FedMedian GB/s on 32 updates, and FedAvg peak RSS over 100 lazy 10M updates";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        if (arguments.Length > 0)
        {
            Console.WriteLine("usage: Federation.Benchmarks aggregation   (takes no options)");
            return 2;
        }

        var total = Stopwatch.StartNew();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"aggregation benchmark: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, Vector<float> {Vector<float>.Count} lanes"));

        // Memory first, while the process is small, so that the peak RSS belongs to this measurement alone.
        var memory = MeasureLazyFedAvgMemory();
        Release();
        double triad1 = Triad(threads: 1);
        double triadAll = Environment.ProcessorCount > 1 ? Triad(Environment.ProcessorCount) : triad1;
        Release();
        foreach (int parameters in new[] { 1_000_000, LargeModel })
        {
            Throughput(parameters, triad1);
            Release();
        }

        Console.WriteLine();
        Print(["measurement", "size", "best time", "GB/s", "of 1-thread triad"]);
        Print(["STREAM triad a = b + s·c, 1 thread", "3 × 64M floats", Ms(TriadSeconds(triad1)), Gb(triad1), "100 %"]);
        Print([$"STREAM triad, {Environment.ProcessorCount} threads", "3 × 64M floats", Ms(TriadSeconds(triadAll)), Gb(triadAll), Percent(triadAll / triad1)]);
        foreach (var row in _rows)
        {
            Print(row);
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FedAvg over {LazyUpdateCount} lazily generated updates of {LargeModel:N0} parameters (each generated, aggregated, dropped):"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  model size {Mb(memory.ModelBytes)}; all updates together {Mb(memory.ModelBytes * LazyUpdateCount)}; aggregation took {memory.Seconds:F1} s"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  peak RSS (VmHWM), GC left alone:       before {Mb(memory.Before)}, after {Mb(memory.After)}: +{Mb(memory.After - memory.Before)} = {(double)(memory.After - memory.Before) / memory.ModelBytes:F1} models"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  peak RSS (VmHWM), full GC per update:  before {Mb(memory.CollectedBefore)}, after {Mb(memory.CollectedAfter)}: +{Mb(memory.CollectedAfter - memory.CollectedBefore)} = {(double)(memory.CollectedAfter - memory.CollectedBefore) / memory.ModelBytes:F1} models"));
        Console.WriteLine("  (before: global model and a noise source already allocated; after adds the running sum, the current update,");
        Console.WriteLine("   the average and result, and with the GC left alone, dropped updates not yet collected)");
        if (!memory.PeakReset)
        {
            Console.WriteLine("  VmHWM could not be reset, so the figures include earlier peaks");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total benchmark time {total.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    private static double TriadSeconds(double bytesPerSecond) => 3.0 * sizeof(float) * TriadLength / bytesPerSecond;

    /// <summary>a[i] = b[i] + s·c[i], best of several passes; bytes counted as STREAM does, 3 × 4 per element.</summary>
    private static double Triad(int threads)
    {
        var a = new float[TriadLength];
        var b = new float[TriadLength];
        var c = new float[TriadLength];
        Array.Fill(a, 0f);
        Array.Fill(b, 1f);
        Array.Fill(c, 2f);
        const float Scalar = 3f;
        int chunk = (TriadLength + threads - 1) / threads;
        double best = double.MaxValue;
        for (int repetition = 0; repetition <= TriadRepetitions; repetition++)
        {
            var watch = Stopwatch.StartNew();
            if (threads == 1)
            {
                TensorPrimitives.MultiplyAdd(c, Scalar, b, a);
            }
            else
            {
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int start = t * chunk;
                    int length = Math.Min(chunk, TriadLength - start);
                    TensorPrimitives.MultiplyAdd(c.AsSpan(start, length), Scalar, b.AsSpan(start, length), a.AsSpan(start, length));
                });
            }

            // Repetition 0 is the warm-up.
            if (repetition > 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
        }

        if (a[TriadLength - 1] != 7f)
        {
            throw new InvalidOperationException("the triad computed a wrong value");
        }

        return 3.0 * sizeof(float) * TriadLength / best;
    }

    /// <summary>
    /// FedAvg and FedMedian on 32 materialized updates, best of several runs after a warm-up; plus FedAvg's two
    /// passes timed apart: the finiteness/layout check and the FedAvgAccumulator fold.
    /// </summary>
    private void Throughput(int parameters, double triad)
    {
        var global = Model(parameters, seed: 0);
        var updates = Enumerable.Range(1, UpdateCount)
            .Select(k => new ClientUpdate($"factory-{k}", Model(parameters, (ulong)k), 1_000 + k))
            .ToList();
        double updateBytes = (double)UpdateCount * parameters * sizeof(float);
        string size = $"{parameters / 1_000_000}M params";
        foreach (var strategy in new IAggregationStrategy[] { new FedAvg(), new FedMedian() })
        {
            double best = Best(() =>
            {
                var result = strategy.Aggregate(global, updates, null);
                if (!float.IsFinite(result.Model[0].Values[0]))
                {
                    throw new InvalidOperationException("the aggregate is not finite");
                }
            });
            _rows.Add([$"{strategy.Name}, {UpdateCount} updates", size, Ms(best), Gb(updateBytes / best), Percent(updateBytes / best / triad)]);
            if (strategy is FedAvg)
            {
                double check = Best(() => updates.ForEach(update => UpdateValidation.CheckUpdate(global, update)));
                _rows.Add(["  timed alone: validation scan", size, Ms(check), Gb(updateBytes / check), Percent(updateBytes / check / triad)]);
                double fold = Best(() =>
                {
                    var accumulator = new Federation.Learning.Aggregation.FedAvgAccumulator(global);
                    updates.ForEach(update => accumulator.Add(update.Delta, update.SampleCount));
                });
                _rows.Add(["  timed alone: FedAvgAccumulator.Add", size, Ms(fold), Gb(updateBytes / fold), Percent(updateBytes / fold / triad)]);
            }
        }
    }

    /// <summary>The best wall time of <see cref="Runs"/> runs after one warm-up run.</summary>
    private static double Best(Action action)
    {
        double best = double.MaxValue;
        for (int run = 0; run <= Runs; run++)
        {
            var watch = Stopwatch.StartNew();
            action();
            if (run > 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
        }

        return best;
    }

    /// <summary>
    /// FedAvg over 100 updates produced one at a time by <see cref="LazyUpdates"/>: peak RSS with the GC left alone,
    /// then again with a full collection before each update is produced (the live set the strategy really keeps).
    /// </summary>
    private static MemoryFigures MeasureLazyFedAvgMemory()
    {
        var global = Model(LargeModel, seed: 0);
        var noise = Model(LargeModel, seed: 1);
        (long before, long after, bool reset, double seconds) Measure(bool collectEachTime)
        {
            Release();
            bool reset = ResetPeak();
            long before = ReadStatusKilobytes("VmHWM") * 1024;
            var watch = Stopwatch.StartNew();
            var result = new FedAvg().Aggregate(global, new LazyUpdates(noise, LazyUpdateCount, collectEachTime), null);
            double seconds = watch.Elapsed.TotalSeconds;
            long after = ReadStatusKilobytes("VmHWM") * 1024;
            if (result.Metrics["updates"] != LazyUpdateCount)
            {
                throw new InvalidOperationException("not every update was aggregated");
            }

            return (before, after, reset, seconds);
        }

        var natural = Measure(collectEachTime: false);
        var collected = Measure(collectEachTime: true);
        return new MemoryFigures(
            (long)LargeModel * sizeof(float), natural.before, natural.after, collected.before, collected.after, natural.reset && collected.reset, natural.seconds);
    }

    /// <summary>A two-tensor model of <paramref name="parameters"/> values in [−1, 1) from a seeded xorshift generator.</summary>
    private static TensorSet Model(int parameters, ulong seed)
    {
        const int Bias = 10_000;
        int rows = (parameters - Bias) / 1_000;
        var weight = new float[rows * 1_000];
        var bias = new float[parameters - weight.Length];
        ulong state = (seed * 0x9E3779B97F4A7C15UL) | 1;
        Fill(weight, ref state);
        Fill(bias, ref state);
        return new TensorSet([new Tensor("layer.weight", [rows, 1_000], weight), new Tensor("layer.bias", [bias.Length], bias)]);
    }

    private static void Fill(float[] values, ref ulong state)
    {
        ulong x = state;
        for (int i = 0; i < values.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values[i] = ((x >> 40) * (1f / (1 << 23))) - 1f;
        }

        state = x;
    }

    /// <summary>Per-run memory figures, in bytes.</summary>
    private sealed record MemoryFigures(long ModelBytes, long Before, long After, long CollectedBefore, long CollectedAfter, bool PeakReset, double Seconds);

    /// <summary>
    /// Yields <c>count</c> fresh updates, each a rotated and scaled copy of a noise model (deterministic, and fast
    /// enough that the aggregation rather than the generator dominates). Like a loader streaming from storage, it
    /// lets go of the previous update before producing the next, which a C# iterator would keep in its Current.
    /// </summary>
    private sealed class LazyUpdates(TensorSet noise, int count, bool collectEachTime) : IEnumerable<ClientUpdate>
    {
        public IEnumerator<ClientUpdate> GetEnumerator()
        {
            return new Enumerator(noise, count, collectEachTime);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(TensorSet noise, int count, bool collectEachTime) : IEnumerator<ClientUpdate>
        {
            private int _index;
            private ClientUpdate? _current;

            public ClientUpdate Current => _current ?? throw new InvalidOperationException("no current update");

            object System.Collections.IEnumerator.Current => Current;

            public bool MoveNext()
            {
                _current = null;
                if (_index == count)
                {
                    return false;
                }

                _index++;
                if (collectEachTime)
                {
                    Collect();
                }

                float scale = 0.5f + (_index / (float)count);
                var tensors = noise.Select(source =>
                {
                    var values = new float[source.Values.Length];
                    int shift = (int)((_index * 7_919L) % Math.Max(1, values.Length));
                    TensorPrimitives.Multiply(source.Values.AsSpan(shift), scale, values.AsSpan(0, values.Length - shift));
                    TensorPrimitives.Multiply(source.Values.AsSpan(0, shift), scale, values.AsSpan(values.Length - shift));
                    return new Tensor(source.Name, source.Shape, values);
                });
                _current = new ClientUpdate($"factory-{_index}", new TensorSet(tensors), 1_000 + _index);
                return true;
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose() => _current = null;
        }
    }

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: writing 5 to clear_refs).</summary>
    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A field of /proc/self/status in kB, e.g. VmHWM (peak RSS).</summary>
    internal static long ReadStatusKilobytes(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }

    /// <summary>A full collection that also returns free memory to the OS, so that RSS (and a reset VmHWM) starts low.</summary>
    private static void Release()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static void Print(string[] cells) => Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture, $"{cells[0],-38} {cells[1],-16} {cells[2],10} {cells[3],8} {cells[4],18}"));

    private static string Ms(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:F1} ms");

    private static string Gb(double bytesPerSecond) => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / 1e9:F2}");

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F0} MB");

    private static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:F0} %");
}
