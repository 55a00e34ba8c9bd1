using System.Buffers;
using System.Numerics;
using System.Security.Cryptography;

namespace Federation.Trust.Transparency;

/// <summary>
/// The RFC 6962 Merkle tree hashes (RFC 9162 §2.1.1), with SHA-256.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>leaf hash = SHA-256(0x00 ‖ leaf bytes)</item>
/// <item>node hash = SHA-256(0x01 ‖ left hash ‖ right hash)</item>
/// <item>root of the empty tree = SHA-256 of no bytes</item>
/// </list>
/// The tree of n &gt; 1 leaves is split at k, the largest power of two smaller than n:
/// its root is the node hash of the root of the first k leaves and the root of the rest.
/// The distinct prefixes keep a leaf from ever being passed off as an inner node.
/// </remarks>
public static class MerkleHash
{
    /// <summary>Length in bytes of every hash in the tree.</summary>
    public const int Size = 32;

    /// <summary>Prefix byte of a leaf hash.</summary>
    public const byte LeafPrefix = 0x00;

    /// <summary>Prefix byte of an inner node hash.</summary>
    public const byte NodePrefix = 0x01;

    // Leaves up to this size are hashed from a stack buffer; larger ones from a pooled one.
    private const int StackLimit = 1024;

    /// <summary>The root hash of the empty tree, SHA-256 of no bytes (a fresh copy).</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>Returns the leaf hash of <paramref name="leafData"/>: SHA-256(0x00 ‖ data).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> leafData)
    {
        var hash = new byte[Size];
        Leaf(leafData, hash);
        return hash;
    }

    /// <summary>Writes the leaf hash of <paramref name="leafData"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static void Leaf(ReadOnlySpan<byte> leafData, Span<byte> destination)
    {
        RequireRoom(destination);
        var length = leafData.Length + 1;
        byte[]? rented = null;
        var buffer = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            buffer[0] = LeafPrefix;
            leafData.CopyTo(buffer[1..]);
            SHA256.HashData(buffer[..length], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Returns the node hash of two children: SHA-256(0x01 ‖ left ‖ right).</summary>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[Size];
        Node(left, right, hash);
        return hash;
    }

    /// <summary>
    /// Writes the node hash of two children into <paramref name="destination"/>, which may
    /// overlap either child.
    /// </summary>
    /// <remarks>
    /// The children are hashed as given, whatever their length: a proof verifier that
    /// wants 32-byte children checks that before calling.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        RequireRoom(destination);
        var length = 1 + left.Length + right.Length;
        byte[]? rented = null;
        var buffer = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            buffer[0] = NodePrefix;
            left.CopyTo(buffer[1..]);
            right.CopyTo(buffer[(1 + left.Length)..]);
            SHA256.HashData(buffer[..length], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The split point of a tree of <paramref name="n"/> leaves: the largest power of two
    /// strictly smaller than <paramref name="n"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 2.</exception>
    public static long SplitPoint(long n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        return 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));
    }

    private static void RequireRoom(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException(
                $"A Merkle hash needs {Size} bytes of room, not {destination.Length}.", nameof(destination));
        }
    }
}
