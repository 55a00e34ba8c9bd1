using System.Collections;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Strategies;

/// <summary>Tiny models and updates for strategy tests.</summary>
internal static class Updates
{
    /// <summary>A model with one tensor "w" of the given values.</summary>
    public static TensorSet Vector(params float[] values) => new([new Tensor("w", [values.Length], values)]);

    /// <summary>An update of one tensor "w".</summary>
    public static ClientUpdate Of(string clientId, float[] values, long samples = 1) => new(clientId, Vector(values), samples);

    /// <summary>Updates "c0", "c1", … each with one scalar-per-coordinate row and one sample.</summary>
    public static List<ClientUpdate> Rows(params float[][] rows) =>
        [.. rows.Select((row, k) => Of($"c{k}", row))];

    /// <summary>A model of two tensors, "a" [2, 3] and "b" [3], filled from a seeded generator.</summary>
    public static TensorSet Random(int seed, double scale = 1)
    {
        var random = new Random(seed);
        float Next() => (float)(((2 * random.NextDouble()) - 1) * scale);
        return new TensorSet(
        [
            new Tensor("a", [2, 3], [.. Enumerable.Range(0, 6).Select(_ => Next())]),
            new Tensor("b", [3], [.. Enumerable.Range(0, 3).Select(_ => Next())]),
        ]);
    }

    /// <summary>n random updates with the layout of <see cref="Random(int, double)"/> and varied sample counts.</summary>
    public static List<ClientUpdate> RandomUpdates(int n, int seed) =>
        [.. Enumerable.Range(0, n).Select(k => new ClientUpdate($"client-{k}", Random(seed + k), 10 + (7 * k)))];

    /// <summary>Canonical bytes of a model, for bit-for-bit comparisons.</summary>
    public static byte[] Bytes(TensorSet set) => SafeTensors.Write(set);

    /// <summary>The values of tensor "w".</summary>
    public static float[] W(this AggregationResult result) => result.Model["w"].Values;
}

/// <summary>An enumerable that may be enumerated once; a second enumeration fails the test.</summary>
internal sealed class SingleUse<T>(IEnumerable<T> items) : IEnumerable<T>
{
    public int Enumerations { get; private set; }

    public int Yielded { get; private set; }

    public IEnumerator<T> GetEnumerator()
    {
        if (++Enumerations > 1)
        {
            throw new InvalidOperationException("the updates were enumerated a second time");
        }

        return Iterate();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerator<T> Iterate()
    {
        foreach (var item in items)
        {
            Yielded++;
            yield return item;
        }
    }
}
