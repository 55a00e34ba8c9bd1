using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Federation.Learning.Privacy;

/// <summary>
/// A deterministic, cryptographically strong <see cref="Random"/>: the AES-256 keystream in counter mode
/// (block i = AES_seed(i as a 128-bit big-endian integer)), the core of NIST SP 800-90A's CTR_DRBG.
/// </summary>
/// <remarks>
/// Differential-privacy noise protects only while the recipient cannot reproduce it. <see cref="System.Random"/>
/// takes a 31-bit seed, small enough to try every value and see which one leaves a plausible update; this generator
/// takes a 256-bit seed. Equal seeds still give equal streams, so a release stays reproducible for whoever holds the
/// seed (the gateway) and for tests. Draw each release's seed with <see cref="NewSeed"/>, use it once, never log or
/// send it. Not thread-safe; dispose it to release the cipher.
/// </remarks>
public sealed class CounterModeRandom : Random, IDisposable
{
    /// <summary>The seed length in bytes (an AES-256 key).</summary>
    public const int SeedLength = 32;

    private const int BlockSize = 16;
    private const int BlocksPerRefill = 256;

    private readonly Aes _aes;
    private readonly byte[] _counters = new byte[BlockSize * BlocksPerRefill];
    private readonly byte[] _keystream = new byte[BlockSize * BlocksPerRefill];
    private int _position;
    private ulong _nextBlock;
    private bool _disposed;

    /// <summary>Creates a generator whose whole output is determined by <paramref name="seed"/>.</summary>
    /// <param name="seed">Exactly <see cref="SeedLength"/> bytes; copied.</param>
    /// <exception cref="ArgumentException">The seed has the wrong length.</exception>
    public CounterModeRandom(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException($"the seed must be {SeedLength} bytes, got {seed.Length}", nameof(seed));
        }

        _aes = Aes.Create();
        _aes.Key = seed.ToArray();
        _position = _keystream.Length;
    }

    /// <summary>A fresh seed from the operating system's cryptographic random number generator.</summary>
    /// <returns><see cref="SeedLength"/> random bytes.</returns>
    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(SeedLength);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>The draw.</returns>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    /// <returns>The draw.</returns>
    public override float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A uniform integer in [0, <see cref="int.MaxValue"/>).</summary>
    /// <returns>The draw.</returns>
    public override int Next() => (int)NextInt64(int.MaxValue);

    /// <summary>A uniform integer in [0, <paramref name="maxValue"/>).</summary>
    /// <param name="maxValue">The exclusive upper bound; non-negative.</param>
    /// <returns>The draw; 0 when <paramref name="maxValue"/> is 0.</returns>
    public override int Next(int maxValue) => (int)NextInt64(maxValue);

    /// <summary>A uniform integer in [<paramref name="minValue"/>, <paramref name="maxValue"/>).</summary>
    /// <param name="minValue">The inclusive lower bound.</param>
    /// <param name="maxValue">The exclusive upper bound; at least <paramref name="minValue"/>.</param>
    /// <returns>The draw.</returns>
    public override int Next(int minValue, int maxValue) => (int)NextInt64(minValue, maxValue);

    /// <summary>A uniform integer in [0, <see cref="long.MaxValue"/>).</summary>
    /// <returns>The draw.</returns>
    public override long NextInt64() => NextInt64(long.MaxValue);

    /// <summary>A uniform integer in [0, <paramref name="maxValue"/>).</summary>
    /// <param name="maxValue">The exclusive upper bound; non-negative.</param>
    /// <returns>The draw; 0 when <paramref name="maxValue"/> is 0.</returns>
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return NextInt64(0, maxValue);
    }

    /// <summary>A uniform integer in [<paramref name="minValue"/>, <paramref name="maxValue"/>), without modulo bias.</summary>
    /// <param name="minValue">The inclusive lower bound.</param>
    /// <param name="maxValue">The exclusive upper bound; at least <paramref name="minValue"/>.</param>
    /// <returns>The draw; <paramref name="minValue"/> when the range is empty.</returns>
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        ulong range = (ulong)(maxValue - minValue);
        if (range <= 1)
        {
            return minValue;
        }

        // Rejection sampling over the largest multiple of range that fits in 2^64.
        ulong limit = ulong.MaxValue - (ulong.MaxValue % range);
        ulong draw;
        do
        {
            draw = NextUInt64();
        }
        while (draw >= limit);

        return (long)((ulong)minValue + (draw % range));
    }

    /// <summary>Fills <paramref name="buffer"/> with keystream bytes.</summary>
    /// <param name="buffer">The destination.</param>
    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    /// <summary>Fills <paramref name="buffer"/> with keystream bytes.</summary>
    /// <param name="buffer">The destination.</param>
    public override void NextBytes(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_position == _keystream.Length)
            {
                Refill();
            }

            int count = Math.Min(buffer.Length, _keystream.Length - _position);
            _keystream.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            buffer = buffer[count..];
        }
    }

    /// <summary>Releases the cipher; later draws throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_keystream);
        }
    }

    /// <inheritdoc />
    protected override double Sample() => NextDouble();

    private ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        NextBytes(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private void Refill()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int block = 0; block < BlocksPerRefill; block++)
        {
            var counter = _counters.AsSpan(block * BlockSize, BlockSize);
            BinaryPrimitives.WriteUInt64BigEndian(counter, 0);
            BinaryPrimitives.WriteUInt64BigEndian(counter[sizeof(ulong)..], _nextBlock++);
        }

        // ECB over distinct counter blocks is exactly CTR mode's keystream.
        _aes.EncryptEcb(_counters, _keystream, PaddingMode.None);
        _position = 0;
    }
}
