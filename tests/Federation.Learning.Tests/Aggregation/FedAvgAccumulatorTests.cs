using System.Runtime.CompilerServices;
using Federation.Learning.Aggregation;
using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Aggregation;

public class FedAvgAccumulatorTests
{
    private static TensorSet Model(float[] weight, float bias) =>
        new([new Tensor("w", [weight.Length], weight), new Tensor("b", [1], [bias])]);

    [Fact]
    public void Average_is_the_sample_weighted_mean_of_a_hand_computed_example()
    {
        var accumulator = new FedAvgAccumulator(Model([0, 0, 0], 0));

        accumulator.Add(Model([1, 2, 3], 10), sampleCount: 1);
        accumulator.Add(Model([4, 5, 6], 20), sampleCount: 2);
        accumulator.Add(Model([7.5f, -8, 0.1f], 30), sampleCount: 3);
        var average = accumulator.Average();

        // (1·1 + 2·4 + 3·7.5) / 6 = 31.5 / 6, (2 + 10 − 24) / 6 = −2, (3 + 12 + 0.3) / 6 = 2.55, (10 + 40 + 90) / 6.
        average["w"].Values.ShouldBe([5.25f, -2f, 2.55f], tolerance: 1e-6f);
        average["b"].Values[0].ShouldBe(140f / 6, tolerance: 1e-5f);
        accumulator.Count.ShouldBe(3);
        accumulator.TotalSamples.ShouldBe(6);
    }

    [Fact]
    public void Average_matches_the_documented_float32_formula_bit_for_bit()
    {
        // Longer than the accumulator's internal chunk, and with awkward counts, so rounding is exercised everywhere.
        var random = new Random(3);
        long[] counts = [17, 12_345, 3, 999_999];
        var updates = counts.Select(_ => Model(
            Enumerable.Range(0, 3000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)))).ToArray(),
            (float)random.NextDouble())).ToArray();
        var accumulator = new FedAvgAccumulator(updates[0]);

        for (int k = 0; k < updates.Length; k++)
        {
            accumulator.Add(updates[k], counts[k]);
        }

        var average = accumulator.Average();
        foreach (var tensor in average)
        {
            tensor.Values.ShouldBe(DocumentedAverage(updates.Select(u => u[tensor.Name].Values).ToArray(), counts));
        }
    }

    [Fact]
    public void Updates_are_summed_in_the_order_they_are_added()
    {
        // In float32, 1e8 + 1 rounds back to 1e8, so adding the 1 before or after −1e8 changes the result.
        var big = Model([1e8f], 0);
        var one = Model([1f], 0);
        var minusBig = Model([-1e8f], 0);

        var oneLost = new FedAvgAccumulator(big);
        oneLost.Add(big, 1);
        oneLost.Add(one, 1);
        oneLost.Add(minusBig, 1);

        var oneKept = new FedAvgAccumulator(big);
        oneKept.Add(big, 1);
        oneKept.Add(minusBig, 1);
        oneKept.Add(one, 1);

        oneLost.Average()["w"].Values[0].ShouldBe(0f);
        oneKept.Average()["w"].Values[0].ShouldBe(1f / 3f);
    }

    [Fact]
    public void Average_can_be_taken_repeatedly_and_does_not_alias_the_running_sum()
    {
        var accumulator = new FedAvgAccumulator(Model([0], 0));
        accumulator.Add(Model([2], 4), 1);

        var first = accumulator.Average();
        first["w"].Values[0] = 99;
        accumulator.Add(Model([4], 8), 1);

        accumulator.Average()["w"].Values[0].ShouldBe(3f);
    }

    [Fact]
    public void Add_rejects_an_update_with_another_layout()
    {
        var accumulator = new FedAvgAccumulator(Model([0, 0, 0], 0));

        Should.Throw<ArgumentException>(() => accumulator.Add(Model([1, 2], 0), 5))
            .Message.ShouldContain("the update does not match the model layout: tensor 'w' has shape [2]; expected [3]");
        accumulator.Count.ShouldBe(0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Add_rejects_a_sample_count_that_is_not_positive(long sampleCount)
    {
        var accumulator = new FedAvgAccumulator(Model([0], 0));

        Should.Throw<ArgumentException>(() => accumulator.Add(Model([1], 1), sampleCount))
            .Message.ShouldContain($"the sample count must be positive, but it is {sampleCount}");
    }

    [Fact]
    public void Average_of_nothing_is_refused()
    {
        Should.Throw<InvalidOperationException>(() => new FedAvgAccumulator(Model([0], 0)).Average());
    }

    [Fact]
    public void Adding_allocates_nothing_so_memory_does_not_grow_with_the_number_of_updates()
    {
        var updates = Enumerable.Range(0, 1000).Select(i => Model(new float[5000], i)).ToArray();
        var accumulator = new FedAvgAccumulator(updates[0]);
        accumulator.Add(updates[0], 1); // warm up: JIT compilation happens outside the measurement

        long tenAdds = AllocatedDuring(() => AddAll(accumulator, updates.AsSpan(0, 10)));
        long thousandAdds = AllocatedDuring(() => AddAll(accumulator, updates));

        tenAdds.ShouldBeLessThan(256);
        thousandAdds.ShouldBeLessThan(256);
    }

    [Fact]
    public void The_accumulator_keeps_no_reference_to_added_updates()
    {
        var accumulator = new FedAvgAccumulator(Model(new float[10], 0));

        var update = AddThrowawayUpdate(accumulator);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        update.IsAlive.ShouldBeFalse();
        accumulator.Count.ShouldBe(1);
    }

    /// <summary>The formula in the accumulator's documentation, one float32 rounding per operation.</summary>
    private static float[] DocumentedAverage(float[][] updates, long[] counts)
    {
        var sum = new float[updates[0].Length];
        for (int k = 0; k < updates.Length; k++)
        {
            float weight = counts[k];
            for (int i = 0; i < sum.Length; i++)
            {
                float product = weight * updates[k][i];
                sum[i] = sum[i] + product;
            }
        }

        float total = counts.Sum();
        return sum.Select(s => s / total).ToArray();
    }

    private static void AddAll(FedAvgAccumulator accumulator, ReadOnlySpan<TensorSet> updates)
    {
        foreach (var update in updates)
        {
            accumulator.Add(update, 7);
        }
    }

    private delegate void Work();

    private static long AllocatedDuring(Work work)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        work();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AddThrowawayUpdate(FedAvgAccumulator accumulator)
    {
        var update = Model(new float[10], 1);
        accumulator.Add(update, 3);
        return new WeakReference(update);
    }
}
