using System.Numerics;

namespace Federation.Trust.Transparency;

/// <summary>
/// An append-only RFC 6962 / RFC 9162 Merkle tree held in memory, answering root hashes,
/// inclusion proofs and consistency proofs for the current size and every earlier one.
/// </summary>
/// <remarks>
/// <para>
/// Storage is a dense array per level: level 0 holds the leaf hashes, level h holds the
/// hash of every complete (perfect, aligned) subtree of 2^h leaves, so level h has
/// <c>Size &gt;&gt; h</c> entries and the whole tree about 2 × Size hashes (64 bytes per
/// leaf). Those subtrees never change once complete, which is what makes the tree
/// append-only: appending a leaf adds at most one hash per level.
/// </para>
/// <para>
/// Any root, inclusion proof or consistency proof, for any tree size up to
/// <see cref="Size"/>, is assembled from O(log n) stored hashes with O(log n) hashing:
/// the root of a prefix of the tree is the fold of the perfect subtrees that make up
/// its size in binary.
/// </para>
/// <para>
/// Not synchronized: one writer, or readers only. Share it behind a lock otherwise.
/// </para>
/// </remarks>
public sealed class MerkleTree
{
    private readonly List<HashLevel> _levels = [new HashLevel()];

    /// <summary>Number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>Number of hashes stored: leaf hashes plus complete-subtree hashes.</summary>
    public long StoredHashCount
    {
        get
        {
            long count = 0;
            foreach (var level in _levels)
            {
                count += level.Count;
            }

            return count;
        }
    }

    /// <summary>Bytes of hash storage allocated (whole storage chunks, 32 bytes a hash).</summary>
    public long AllocatedBytes
    {
        get
        {
            long bytes = 0;
            foreach (var level in _levels)
            {
                bytes += level.AllocatedBytes;
            }

            return bytes;
        }
    }

    /// <summary>Hashes <paramref name="leafData"/> as a leaf and appends it.</summary>
    /// <returns>The index of the new leaf.</returns>
    public long Append(ReadOnlySpan<byte> leafData)
    {
        Span<byte> leafHash = stackalloc byte[MerkleHash.Size];
        MerkleHash.Leaf(leafData, leafHash);
        return AppendHash(leafHash);
    }

    /// <summary>Appends a leaf given by its leaf hash (see <see cref="MerkleHash.Leaf(ReadOnlySpan{byte})"/>).</summary>
    /// <returns>The index of the new leaf.</returns>
    /// <exception cref="ArgumentException"><paramref name="leafHash"/> is not 32 bytes.</exception>
    public long AppendLeafHash(ReadOnlySpan<byte> leafHash)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException(
                $"A leaf hash is {MerkleHash.Size} bytes, not {leafHash.Length}.", nameof(leafHash));
        }

        return AppendHash(leafHash);
    }

    /// <summary>Returns a copy of the leaf hash at <paramref name="leafIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such leaf.</exception>
    public byte[] LeafHash(long leafIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, Size);
        return _levels[0][leafIndex].ToArray();
    }

    /// <summary>The root hash of the whole tree (of the empty tree while nothing is appended).</summary>
    public byte[] RootHash() => RootHash(Size);

    /// <summary>The root hash of the tree made of the first <paramref name="size"/> leaves.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative or beyond <see cref="Size"/>.</exception>
    public byte[] RootHash(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        RequireWithinTree(size, nameof(size));
        if (size == 0)
        {
            return MerkleHash.EmptyRoot();
        }

        var root = new byte[MerkleHash.Size];
        SubtreeHash(0, size, root);
        return root;
    }

    /// <summary>
    /// The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf <paramref name="leafIndex"/>
    /// in the tree of the first <paramref name="treeSize"/> leaves, lowest level first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Not 0 ≤ <paramref name="leafIndex"/> &lt; <paramref name="treeSize"/> ≤ <see cref="Size"/>.
    /// </exception>
    public IReadOnlyList<byte[]> InclusionProof(long leafIndex, long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, treeSize);
        RequireWithinTree(treeSize, nameof(treeSize));

        // Walk down from the root; the sibling met at each split is one proof element.
        // Collected top-down, so reversed at the end into the RFC's bottom-up order.
        var proof = new List<byte[]>(64);
        long start = 0, size = treeSize, index = leafIndex;
        while (size > 1)
        {
            var k = MerkleHash.SplitPoint(size);
            var sibling = new byte[MerkleHash.Size];
            if (index < k)
            {
                SubtreeHash(start + k, size - k, sibling);
                size = k;
            }
            else
            {
                SubtreeHash(start, k, sibling);
                start += k;
                index -= k;
                size -= k;
            }

            proof.Add(sibling);
        }

        proof.Reverse();
        return proof;
    }

    /// <summary>
    /// The consistency proof (RFC 9162 §2.1.4.1) that the tree of the first
    /// <paramref name="oldSize"/> leaves is a prefix of the tree of the first
    /// <paramref name="newSize"/> leaves. Empty when the sizes are equal.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Not 1 ≤ <paramref name="oldSize"/> ≤ <paramref name="newSize"/> ≤ <see cref="Size"/>. Every
    /// tree extends the empty tree, so a proof from size 0 would prove nothing and is refused.
    /// </exception>
    public IReadOnlyList<byte[]> ConsistencyProof(long oldSize, long newSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(oldSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oldSize, newSize);
        RequireWithinTree(newSize, nameof(newSize));

        // SUBPROOF(m, D[start:start+n], b), unrolled. Collected top-down, reversed at the end.
        var proof = new List<byte[]>(64);
        long start = 0, size = newSize, m = oldSize;
        var oldIsWholeSubtree = true;
        while (m != size)
        {
            var k = MerkleHash.SplitPoint(size);
            var sibling = new byte[MerkleHash.Size];
            if (m <= k)
            {
                SubtreeHash(start + k, size - k, sibling);
                size = k;
            }
            else
            {
                SubtreeHash(start, k, sibling);
                start += k;
                m -= k;
                size -= k;
                oldIsWholeSubtree = false;
            }

            proof.Add(sibling);
        }

        // The old tree's own root is left out only when it is a subtree the verifier already
        // knows: the old root itself (RFC 9162: SUBPROOF(m, D[m], true) = {}).
        if (!oldIsWholeSubtree)
        {
            var subtree = new byte[MerkleHash.Size];
            SubtreeHash(start, m, subtree);
            proof.Add(subtree);
        }

        proof.Reverse();
        return proof;
    }

    private long AppendHash(ReadOnlySpan<byte> leafHash)
    {
        var index = Size;
        _levels[0].Add(leafHash);
        Size = index + 1;

        // A new entry at an odd position completes a pair: hash it one level up, and carry.
        Span<byte> node = stackalloc byte[MerkleHash.Size];
        var position = index;
        for (var level = 0; (position & 1) == 1; level++, position >>= 1)
        {
            var below = _levels[level];
            MerkleHash.Node(below[position - 1], below[position], node);
            if (_levels.Count == level + 1)
            {
                _levels.Add(new HashLevel());
            }

            _levels[level + 1].Add(node);
        }

        return index;
    }

    // MTH(D[start:start+count]) for a range that occurs in the RFC's recursive split (start
    // is a multiple of a power of two at least count). Its root is the fold, right to left,
    // of the perfect subtrees given by the binary digits of count, largest first.
    private void SubtreeHash(long start, long count, Span<byte> destination)
    {
        var position = start + count;
        var remaining = count;
        var first = true;
        while (remaining > 0)
        {
            var piece = remaining & -remaining;
            position -= piece;
            var level = BitOperations.TrailingZeroCount(piece);
            var hash = _levels[level][position >> level];
            if (first)
            {
                hash.CopyTo(destination);
                first = false;
            }
            else
            {
                MerkleHash.Node(hash, destination[..MerkleHash.Size], destination);
            }

            remaining -= piece;
        }
    }

    private void RequireWithinTree(long size, string paramName)
    {
        if (size > Size)
        {
            throw new ArgumentOutOfRangeException(
                paramName, size, $"The tree has only {Size} leaves.");
        }
    }

    // One level of the dense tree: hashes in fixed 64 KiB chunks, so growth never copies
    // and no chunk lands on the large object heap.
    private sealed class HashLevel
    {
        private const int ChunkShift = 11;
        private const int ChunkHashes = 1 << ChunkShift;
        private const int ChunkBytes = ChunkHashes * MerkleHash.Size;
        private readonly List<byte[]> _chunks = [];

        public long Count { get; private set; }

        public long AllocatedBytes => (long)_chunks.Count * ChunkBytes;

        public ReadOnlySpan<byte> this[long index] =>
            _chunks[(int)(index >> ChunkShift)].AsSpan((int)(index & (ChunkHashes - 1)) * MerkleHash.Size, MerkleHash.Size);

        public void Add(ReadOnlySpan<byte> hash)
        {
            var offset = (int)(Count & (ChunkHashes - 1));
            if (offset == 0)
            {
                _chunks.Add(new byte[ChunkBytes]);
            }

            hash.CopyTo(_chunks[^1].AsSpan(offset * MerkleHash.Size, MerkleHash.Size));
            Count++;
        }
    }
}
