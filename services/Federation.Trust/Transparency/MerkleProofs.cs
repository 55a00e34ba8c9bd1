using System.Numerics;

namespace Federation.Trust.Transparency;

/// <summary>
/// Checks RFC 9162 inclusion and consistency proofs (§2.1.3.2 and §2.1.4.2) against root
/// hashes, with nothing but SHA-256: this is the code an auditor runs, and it shares no
/// state with <see cref="MerkleTree"/>.
/// </summary>
/// <remarks>
/// The algorithms are those of transparency-dev/merkle (proof/verify.go) and accept and
/// reject exactly its published test vectors. Every method answers false, never throws,
/// whatever it is given: sizes out of range, null or short hashes, proofs of the wrong
/// length. The overloads with an <c>error</c> argument also say why a proof was refused.
/// Hashes in a proof, the leaf hash and the root hashes must be 32 bytes, with one
/// exception taken from the reference vectors: between two trees of the same size the
/// proof is empty and the two roots need only be byte-for-byte equal.
/// </remarks>
public static class MerkleProofs
{
    /// <summary>
    /// True when <paramref name="proof"/> shows that the leaf with hash
    /// <paramref name="leafHash"/> is leaf <paramref name="leafIndex"/> of the tree of
    /// <paramref name="treeSize"/> leaves whose root is <paramref name="rootHash"/>.
    /// </summary>
    public static bool VerifyInclusion(
        long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> rootHash) =>
        VerifyInclusion(leafIndex, treeSize, leafHash, proof, rootHash, out _);

    /// <summary>
    /// As <see cref="VerifyInclusion(long, long, ReadOnlySpan{byte}, IReadOnlyList{byte[]}, ReadOnlySpan{byte})"/>,
    /// saying in <paramref name="error"/> why a proof was refused (null when it is accepted).
    /// </summary>
    public static bool VerifyInclusion(
        long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> rootHash,
        out string? error)
    {
        Span<byte> calculated = stackalloc byte[MerkleHash.Size];
        error = RootFromInclusionProof(leafIndex, treeSize, leafHash, proof, calculated)
            ?? RootMatches("root", calculated, rootHash);
        return error is null;
    }

    /// <summary>
    /// True when <paramref name="proof"/> shows that the tree of <paramref name="size1"/>
    /// leaves with root <paramref name="root1"/> is a prefix of the tree of
    /// <paramref name="size2"/> leaves with root <paramref name="root2"/>.
    /// </summary>
    /// <remarks>
    /// A proof from the empty tree (size1 = 0) is refused: it would prove nothing, since
    /// every tree extends the empty one. Equal sizes need an empty proof and equal roots.
    /// </remarks>
    public static bool VerifyConsistency(
        long size1, long size2, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2) =>
        VerifyConsistency(size1, size2, proof, root1, root2, out _);

    /// <summary>
    /// As <see cref="VerifyConsistency(long, long, IReadOnlyList{byte[]}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>,
    /// saying in <paramref name="error"/> why a proof was refused (null when it is accepted).
    /// </summary>
    public static bool VerifyConsistency(
        long size1, long size2, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2,
        out string? error)
    {
        error = CheckConsistency(size1, size2, proof, root1, root2);
        return error is null;
    }

    private static string? RootFromInclusionProof(
        long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]>? proof, Span<byte> root)
    {
        if (leafIndex < 0 || treeSize < 0)
        {
            return $"leaf index {leafIndex} and tree size {treeSize} must not be negative";
        }

        if (leafIndex >= treeSize)
        {
            return $"leaf index {leafIndex} is beyond the tree of size {treeSize}";
        }

        if (leafHash.Length != MerkleHash.Size)
        {
            return $"the leaf hash is {leafHash.Length} bytes, not {MerkleHash.Size}";
        }

        var (inner, border) = DecomposeInclusionProof((ulong)leafIndex, (ulong)treeSize);
        var problem = CheckProofShape(proof, inner + border);
        if (problem is not null)
        {
            return problem;
        }

        leafHash.CopyTo(root);
        ChainInner(root, proof!, 0, inner, (ulong)leafIndex);
        ChainBorderRight(root, proof!, inner, border);
        return null;
    }

    private static string? CheckConsistency(
        long size1, long size2, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        if (size1 < 0 || size2 < 0)
        {
            return $"tree sizes {size1} and {size2} must not be negative";
        }

        if (size2 < size1)
        {
            return $"the second tree (size {size2}) is smaller than the first (size {size1})";
        }

        if (size1 == 0)
        {
            return "a consistency proof from the empty tree proves nothing";
        }

        if (proof is null)
        {
            return "the proof is missing (null)";
        }

        if (size1 == size2)
        {
            if (proof.Count > 0)
            {
                return $"trees of the same size need an empty proof, not {proof.Count} hashes";
            }

            return root1.SequenceEqual(root2) ? null : "trees of the same size have different roots";
        }

        if (proof.Count == 0)
        {
            return "the proof is empty";
        }

        if (root1.Length != MerkleHash.Size || root2.Length != MerkleHash.Size)
        {
            return $"root hashes must be {MerkleHash.Size} bytes, not {root1.Length} and {root2.Length}";
        }

        // The proof is the tail of the inclusion proof of leaf size1 - 1 in the new tree,
        // from the level (shift) where the old tree's rightmost perfect subtree ends; that
        // subtree's hash comes first, unless it is the whole old tree (size1 a power of two).
        var (inner, border) = DecomposeInclusionProof((ulong)size1 - 1, (ulong)size2);
        var shift = BitOperations.TrailingZeroCount((ulong)size1);
        inner -= shift;
        var seedIsOldRoot = size1 == 1L << shift;
        var start = seedIsOldRoot ? 0 : 1;

        var problem = CheckProofShape(proof, start + inner + border);
        if (problem is not null)
        {
            return problem;
        }

        Span<byte> hash1 = stackalloc byte[MerkleHash.Size];
        Span<byte> hash2 = stackalloc byte[MerkleHash.Size];
        var seed = seedIsOldRoot ? root1 : proof[0];
        seed.CopyTo(hash1);
        seed.CopyTo(hash2);

        var mask = ((ulong)size1 - 1) >> shift;
        ChainInnerRight(hash1, proof, start, inner, mask);
        ChainBorderRight(hash1, proof, start + inner, border);
        var mismatch = RootMatches("first root", hash1, root1);
        if (mismatch is not null)
        {
            return mismatch;
        }

        ChainInner(hash2, proof, start, inner, mask);
        ChainBorderRight(hash2, proof, start + inner, border);
        return RootMatches("second root", hash2, root2);
    }

    private static string? CheckProofShape(IReadOnlyList<byte[]>? proof, int expectedCount)
    {
        if (proof is null)
        {
            return "the proof is missing (null)";
        }

        if (proof.Count != expectedCount)
        {
            return $"the proof has {proof.Count} hashes; these sizes need exactly {expectedCount}";
        }

        for (var i = 0; i < proof.Count; i++)
        {
            var length = proof[i]?.Length ?? -1;
            if (length != MerkleHash.Size)
            {
                return length < 0
                    ? $"proof hash {i} is missing (null)"
                    : $"proof hash {i} is {length} bytes, not {MerkleHash.Size}";
            }
        }

        return null;
    }

    private static string? RootMatches(string what, ReadOnlySpan<byte> calculated, ReadOnlySpan<byte> expected) =>
        calculated.SequenceEqual(expected)
            ? null
            : $"the {what} calculated from the proof, {Convert.ToHexStringLower(calculated)}, "
              + $"does not match the expected {Convert.ToHexStringLower(expected)}";

    // Splits the inclusion proof of leaf index in a tree of size into the part below the
    // level where the paths to index and to size - 1 meet (inner) and the part above (border).
    private static (int Inner, int Border) DecomposeInclusionProof(ulong index, ulong size)
    {
        var inner = 64 - BitOperations.LeadingZeroCount(index ^ (size - 1));
        var border = BitOperations.PopCount(index >> inner);
        return (inner, border);
    }

    // Hashes up through proof[start .. start+count), the path position at each level given by
    // the bits of index: a 0 bit means the running hash is a left child.
    private static void ChainInner(Span<byte> seed, IReadOnlyList<byte[]> proof, int start, int count, ulong index)
    {
        for (var i = 0; i < count; i++)
        {
            var sibling = proof[start + i];
            if (((index >> i) & 1) == 0)
            {
                MerkleHash.Node(seed, sibling, seed);
            }
            else
            {
                MerkleHash.Node(sibling, seed, seed);
            }
        }
    }

    // As ChainInner, but only the siblings on the left are taken: the result is the hash
    // of the earlier (smaller) version of the same subtree.
    private static void ChainInnerRight(Span<byte> seed, IReadOnlyList<byte[]> proof, int start, int count, ulong index)
    {
        for (var i = 0; i < count; i++)
        {
            if (((index >> i) & 1) == 1)
            {
                MerkleHash.Node(proof[start + i], seed, seed);
            }
        }
    }

    // Along the right border of the tree every sibling is on the left.
    private static void ChainBorderRight(Span<byte> seed, IReadOnlyList<byte[]> proof, int start, int count)
    {
        for (var i = 0; i < count; i++)
        {
            MerkleHash.Node(proof[start + i], seed, seed);
        }
    }
}
