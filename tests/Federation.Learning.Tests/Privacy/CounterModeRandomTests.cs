using System.Buffers.Binary;
using System.Security.Cryptography;
using Federation.Learning.Privacy;

namespace Federation.Learning.Tests.Privacy;

public class CounterModeRandomTests
{
    private static byte[] Seed(byte fill) => Enumerable.Repeat(fill, CounterModeRandom.SeedLength).ToArray();

    [Fact]
    public void Output_is_the_aes_256_ctr_keystream_from_counter_zero()
    {
        var seed = Seed(7);
        using var random = new CounterModeRandom(seed);
        var output = new byte[48];
        random.NextBytes(output);

        // Three counter blocks 0, 1, 2 (128-bit big-endian) encrypted with the seed as the AES-256 key.
        var counters = new byte[48];
        for (int block = 0; block < 3; block++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(counters.AsSpan((block * 16) + 8), (ulong)block);
        }

        using var aes = Aes.Create();
        aes.Key = seed;
        output.ShouldBe(aes.EncryptEcb(counters, PaddingMode.None));
    }

    [Fact]
    public void Equal_seeds_give_equal_streams_and_different_seeds_do_not()
    {
        using var a = new CounterModeRandom(Seed(1));
        using var b = new CounterModeRandom(Seed(1));
        using var c = new CounterModeRandom(Seed(2));

        var fromA = Enumerable.Range(0, 5000).Select(_ => a.NextDouble()).ToArray();
        var fromB = Enumerable.Range(0, 5000).Select(_ => b.NextDouble()).ToArray();
        var fromC = Enumerable.Range(0, 5000).Select(_ => c.NextDouble()).ToArray();

        fromA.ShouldBe(fromB);
        fromA.ShouldNotBe(fromC);
    }

    [Fact]
    public void Draws_stay_in_range()
    {
        using var random = new CounterModeRandom(Seed(3));
        for (int i = 0; i < 10_000; i++)
        {
            random.NextDouble().ShouldBeInRange(0.0, Math.BitDecrement(1.0));
            random.NextSingle().ShouldBeLessThan(1f);
            random.Next(7).ShouldBeInRange(0, 6);
            random.Next(-3, 3).ShouldBeInRange(-3, 2);
            random.Next().ShouldBeLessThan(int.MaxValue);
        }
    }

    [Fact]
    public void Seed_must_be_32_bytes()
    {
        Should.Throw<ArgumentException>(() => new CounterModeRandom(new byte[16]));
    }

    [Fact]
    public void New_seeds_differ()
    {
        CounterModeRandom.NewSeed().ShouldNotBe(CounterModeRandom.NewSeed());
    }

    [Fact]
    public void Disposed_generator_refuses_to_draw()
    {
        var random = new CounterModeRandom(Seed(4));
        random.Dispose();

        Should.Throw<ObjectDisposedException>(() => random.NextDouble());
    }
}
