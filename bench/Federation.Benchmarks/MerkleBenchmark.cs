using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Federation.Trust.Transparency;

namespace Federation.Benchmarks;

/// <summary>
/// Builds an RFC 6962 Merkle tree of a million 200-byte events, then measures inclusion
/// and consistency proofs between random sizes: proof sizes, generation and verification
/// time per proof, and the memory the tree takes.
/// </summary>
/// <remarks>Options: <c>merkle [leaves] [pairs] [seed]</c>, default 1000000 1000 42.</remarks>
public sealed class MerkleBenchmark : IBenchmark
{
    private const int EventBytes = 200;

    /// <inheritdoc/>
    public string Name => "merkle";

    /// <inheritdoc/>
    public string Description => "Merkle log: build 1M leaves; inclusion/consistency proof size and time [leaves] [pairs] [seed]";

    /// <inheritdoc/>
    public int Run(string[] arguments)
    {
        if (!TryArgument(arguments, 0, 1_000_000, out var leaves)
            || !TryArgument(arguments, 1, 1_000, out var pairs)
            || !TryArgument(arguments, 2, 42, out var seed)
            || leaves < 4 || pairs < 1)
        {
            Console.WriteLine("usage: merkle [leaves >= 4] [pairs >= 1] [seed]");
            return 2;
        }

        var random = new Random((int)seed);
        Console.WriteLine(Invariant($"merkle: {leaves:N0} leaves of {EventBytes} pseudo-random bytes, {pairs:N0} random pairs per proof kind, seed {seed}"));

        // Events: a slice of a random pool, made unique by the event number in the first 8 bytes.
        var pool = new byte[1 << 16];
        random.NextBytes(pool);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var tree = new MerkleTree();
        var buildWatch = Stopwatch.StartNew();
        Span<byte> item = stackalloc byte[EventBytes];
        for (long i = 0; i < leaves; i++)
        {
            pool.AsSpan((int)(i * 37 % (pool.Length - EventBytes)), EventBytes).CopyTo(item);
            BinaryPrimitives.WriteInt64LittleEndian(item, i);
            tree.Append(item);
        }

        buildWatch.Stop();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var inclusion = MeasureInclusion(tree, random, (int)pairs);
        var consistency = MeasureConsistency(tree, random, (int)pairs);
        var rootTimes = MeasureRoots(tree, random, (int)pairs);
        var rootWatch = Stopwatch.StartNew();
        var root = tree.RootHash();
        rootWatch.Stop();

        var seconds = buildWatch.Elapsed.TotalSeconds;
        Console.WriteLine(Invariant($"build        {seconds:F2} s  ({leaves / seconds:N0} leaves/s, {seconds * 1e6 / leaves:F2} µs/leaf: leaf hash + amortized ~1 node hash)"));
        Console.WriteLine(Invariant($"root         {Convert.ToHexStringLower(root)[..16]}…  full root {rootWatch.Elapsed.TotalMicroseconds:F1} µs; RootHash(random size) {Summary(rootTimes)} µs"));
        Console.WriteLine(Invariant($"memory       {tree.StoredHashCount:N0} hashes stored = {Mb(tree.StoredHashCount * MerkleHash.Size)} MB ({tree.StoredHashCount * 32.0 / leaves:F1} B/leaf); chunks allocated {Mb(tree.AllocatedBytes)} MB; managed heap +{Mb(heapAfter - heapBefore)} MB"));
        Console.WriteLine();
        Console.WriteLine("proof        | hashes min/avg/max | bytes min/avg/max  | generate µs avg/p50/p99/max | verify µs avg/p50/p99/max | verified");
        Console.WriteLine("------------ | ------------------ | ------------------ | --------------------------- | ------------------------- | --------");
        Print("inclusion", inclusion);
        Print("consistency", consistency);

        return inclusion.Verified == inclusion.Count && consistency.Verified == consistency.Count ? 0 : 1;
    }

    private static Measurement MeasureInclusion(MerkleTree tree, Random random, int pairs)
    {
        Warm(() =>
        {
            var proof = tree.InclusionProof(0, tree.Size);
            MerkleProofs.VerifyInclusion(0, tree.Size, tree.LeafHash(0), proof, tree.RootHash());
        });

        var m = new Measurement(pairs);
        for (var i = 0; i < pairs; i++)
        {
            var size = random.NextInt64(1, tree.Size + 1);
            var index = random.NextInt64(0, size);
            var leafHash = tree.LeafHash(index);
            var root = tree.RootHash(size);

            var start = Stopwatch.GetTimestamp();
            var proof = tree.InclusionProof(index, size);
            var generated = Stopwatch.GetTimestamp();
            var ok = MerkleProofs.VerifyInclusion(index, size, leafHash, proof, root);
            var verified = Stopwatch.GetTimestamp();

            m.Add(proof.Count, generated - start, verified - generated, ok);
        }

        return m;
    }

    private static Measurement MeasureConsistency(MerkleTree tree, Random random, int pairs)
    {
        Warm(() =>
        {
            var proof = tree.ConsistencyProof(3, tree.Size);
            MerkleProofs.VerifyConsistency(3, tree.Size, proof, tree.RootHash(3), tree.RootHash());
        });

        var m = new Measurement(pairs);
        for (var i = 0; i < pairs; i++)
        {
            var a = random.NextInt64(1, tree.Size + 1);
            var b = random.NextInt64(1, tree.Size + 1);
            var (size1, size2) = a <= b ? (a, b) : (b, a);
            var root1 = tree.RootHash(size1);
            var root2 = tree.RootHash(size2);

            var start = Stopwatch.GetTimestamp();
            var proof = tree.ConsistencyProof(size1, size2);
            var generated = Stopwatch.GetTimestamp();
            var ok = MerkleProofs.VerifyConsistency(size1, size2, proof, root1, root2);
            var verified = Stopwatch.GetTimestamp();

            m.Add(proof.Count, generated - start, verified - generated, ok);
        }

        return m;
    }

    private static List<double> MeasureRoots(MerkleTree tree, Random random, int count)
    {
        Warm(() => tree.RootHash(tree.Size - 1));
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var size = random.NextInt64(1, tree.Size + 1);
            var start = Stopwatch.GetTimestamp();
            tree.RootHash(size);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return times;
    }

    private static void Warm(Action action)
    {
        for (var i = 0; i < 200; i++)
        {
            action();
        }
    }

    private static void Print(string kind, Measurement m)
    {
        var hashes = Invariant($"{m.Hashes.Min()} / {m.Hashes.Average():F1} / {m.Hashes.Max()}");
        var bytes = Invariant($"{m.Hashes.Min() * 32} / {m.Hashes.Average() * 32:F0} / {m.Hashes.Max() * 32}");
        Console.WriteLine(Invariant(
            $"{kind,-12} | {hashes,-18} | {bytes,-18} | {Summary(m.GenerateMicroseconds),-27} | {Summary(m.VerifyMicroseconds),-25} | {m.Verified}/{m.Count}"));
    }

    private static string Summary(List<double> micros)
    {
        var sorted = micros.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return Invariant($"{sorted.Average():F1} / {At(0.5):F1} / {At(0.99):F1} / {sorted[^1]:F1}");
    }

    private static string Mb(long bytes) => Invariant($"{bytes / 1e6:F1}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static bool TryArgument(string[] arguments, int position, long fallback, out long value)
    {
        value = fallback;
        return arguments.Length <= position
            || long.TryParse(arguments[position], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }

    private sealed class Measurement(int capacity)
    {
        public List<int> Hashes { get; } = new(capacity);

        public List<double> GenerateMicroseconds { get; } = new(capacity);

        public List<double> VerifyMicroseconds { get; } = new(capacity);

        public int Verified { get; private set; }

        public int Count => Hashes.Count;

        public void Add(int hashes, long generateTicks, long verifyTicks, bool verified)
        {
            Hashes.Add(hashes);
            GenerateMicroseconds.Add(generateTicks * 1e6 / Stopwatch.Frequency);
            VerifyMicroseconds.Add(verifyTicks * 1e6 / Stopwatch.Frequency);
            if (verified)
            {
                Verified++;
            }
        }
    }
}
