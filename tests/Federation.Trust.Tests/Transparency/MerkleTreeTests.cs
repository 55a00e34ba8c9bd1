using System.Numerics;
using System.Text;
using Federation.Trust.Transparency;

namespace Federation.Trust.Tests.Transparency;

public class MerkleTreeTests
{
    // The eight leaves, roots and proofs used by transparency-dev/merkle proof/verify_test.go
    // (originally the certificate-transparency reference tests).
    private static readonly string[] KnownLeaves =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    private static readonly string[] KnownRoots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    public static TheoryData<long, long, string[]> KnownInclusionProofs => new()
    {
        { 0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        { 1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
    };

    public static TheoryData<long, long, string[]> KnownConsistencyProofs => new()
    {
        { 1, 1, [] },
        { 1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
        { 6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
    };

    [Fact]
    public void Empty_tree_has_the_SHA256_of_nothing_as_root()
    {
        var tree = new MerkleTree();

        tree.Size.ShouldBe(0);
        Convert.ToHexStringLower(tree.RootHash()).ShouldBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        Convert.ToHexStringLower(tree.RootHash(0)).ShouldBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    [Fact]
    public void Leaf_and_node_hashes_use_the_RFC_6962_prefixes()
    {
        Convert.ToHexStringLower(MerkleHash.Leaf([])).ShouldBe(KnownRoots[0]);
        MerkleHash.Leaf("abc"u8).ShouldBe(System.Security.Cryptography.SHA256.HashData([0x00, .. "abc"u8]));
        MerkleHash.Node([1, 2], [3]).ShouldBe(System.Security.Cryptography.SHA256.HashData([0x01, 1, 2, 3]));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 4)]
    [InlineData(8, 4)]
    [InlineData(9, 8)]
    [InlineData(1_000_000, 524_288)]
    [InlineData(long.MaxValue, 1L << 62)]
    public void Split_point_is_the_largest_power_of_two_below_n(long n, long k) =>
        MerkleHash.SplitPoint(n).ShouldBe(k);

    [Fact]
    public void Roots_of_the_reference_tree_match_the_published_values()
    {
        var tree = KnownTree();

        for (var size = 1; size <= 8; size++)
        {
            Convert.ToHexStringLower(tree.RootHash(size)).ShouldBe(KnownRoots[size - 1], $"size {size}");
        }

        Convert.ToHexStringLower(tree.RootHash()).ShouldBe(KnownRoots[7]);
    }

    [Theory]
    [MemberData(nameof(KnownInclusionProofs))]
    public void Inclusion_proofs_of_the_reference_tree_match_the_published_values(long index, long size, string[] expected)
    {
        var proof = KnownTree().InclusionProof(index, size);

        proof.Select(Convert.ToHexStringLower).ShouldBe(expected);
        MerkleProofs.VerifyInclusion(index, size, MerkleHash.Leaf(Convert.FromHexString(KnownLeaves[index])), proof,
            Convert.FromHexString(KnownRoots[size - 1])).ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(KnownConsistencyProofs))]
    public void Consistency_proofs_of_the_reference_tree_match_the_published_values(long size1, long size2, string[] expected)
    {
        var proof = KnownTree().ConsistencyProof(size1, size2);

        proof.Select(Convert.ToHexStringLower).ShouldBe(expected);
        MerkleProofs.VerifyConsistency(size1, size2, proof,
            Convert.FromHexString(KnownRoots[size1 - 1]), Convert.FromHexString(KnownRoots[size2 - 1])).ShouldBeTrue();
    }

    [Fact]
    public void Every_root_of_sizes_1_to_64_equals_the_naive_recursive_root()
    {
        var (tree, leafHashes) = TreeOf(64);

        for (var size = 0; size <= 64; size++)
        {
            tree.RootHash(size).ShouldBe(NaiveMerkle.Root(leafHashes.Take(size).ToList()), $"size {size}");
        }
    }

    [Fact]
    public void Every_inclusion_proof_up_to_size_64_equals_the_RFC_path_and_verifies()
    {
        var (tree, leafHashes) = TreeOf(64);

        for (var size = 1; size <= 64; size++)
        {
            var prefix = leafHashes.Take(size).ToList();
            var root = tree.RootHash(size);
            for (var index = 0; index < size; index++)
            {
                var proof = tree.InclusionProof(index, size);
                var where = $"leaf {index} of {size}";

                proof.ShouldBe(NaiveMerkle.Path(index, prefix), where);
                MerkleProofs.VerifyInclusion(index, size, leafHashes[index], proof, root, out var error)
                    .ShouldBeTrue($"{where}: {error}");
            }
        }
    }

    [Fact]
    public void Every_tampered_inclusion_proof_up_to_size_64_is_rejected()
    {
        var (tree, leafHashes) = TreeOf(64);

        for (var size = 1; size <= 64; size++)
        {
            var root = tree.RootHash(size);
            for (var index = 0; index < size; index++)
            {
                var proof = tree.InclusionProof(index, size);
                var leaf = leafHashes[index];
                var where = $"leaf {index} of {size}";

                for (var i = 0; i < proof.Count; i++)
                {
                    for (var bit = 0; bit < 256; bit += 85)
                    {
                        MerkleProofs.VerifyInclusion(index, size, leaf, FlipBit(proof, i, bit), root)
                            .ShouldBeFalse($"{where}: bit {bit} of hash {i} flipped");
                    }
                }

                if (proof.Count > 0)
                {
                    MerkleProofs.VerifyInclusion(index, size, leaf, proof.Take(proof.Count - 1).ToList(), root)
                        .ShouldBeFalse($"{where}: last hash dropped");
                    MerkleProofs.VerifyInclusion(index, size, leaf, proof.Skip(1).ToList(), root)
                        .ShouldBeFalse($"{where}: first hash dropped");
                }

                MerkleProofs.VerifyInclusion(index, size, leaf, [.. proof, root], root).ShouldBeFalse($"{where}: hash added");
                MerkleProofs.VerifyInclusion(index, size, Flip(leaf, 0), proof, root).ShouldBeFalse($"{where}: other leaf");
                MerkleProofs.VerifyInclusion(index, size, leaf, proof, Flip(root, 255)).ShouldBeFalse($"{where}: other root");
                MerkleProofs.VerifyInclusion(index + 1, size, leaf, proof, root).ShouldBeFalse($"{where}: index + 1");
                MerkleProofs.VerifyInclusion(index - 1, size, leaf, proof, root).ShouldBeFalse($"{where}: index - 1");
                MerkleProofs.VerifyInclusion(index, size * 2, leaf, proof, root).ShouldBeFalse($"{where}: size * 2");
                MerkleProofs.VerifyInclusion(index, size / 2, leaf, proof, root).ShouldBeFalse($"{where}: size / 2");
                if (size > 1)
                {
                    // The index of another leaf with the same hash path length.
                    MerkleProofs.VerifyInclusion(index ^ 1, size, leaf, proof, root).ShouldBeFalse($"{where}: index ^ 1");
                }
            }
        }
    }

    [Fact]
    public void Every_consistency_proof_up_to_size_64_equals_the_RFC_proof_and_verifies()
    {
        var (tree, leafHashes) = TreeOf(64);

        for (var size2 = 1; size2 <= 64; size2++)
        {
            var prefix = leafHashes.Take(size2).ToList();
            var root2 = tree.RootHash(size2);
            for (var size1 = 1; size1 <= size2; size1++)
            {
                var proof = tree.ConsistencyProof(size1, size2);
                var where = $"{size1} -> {size2}";

                proof.ShouldBe(NaiveMerkle.Proof(size1, prefix), where);
                MerkleProofs.VerifyConsistency(size1, size2, proof, tree.RootHash(size1), root2, out var error)
                    .ShouldBeTrue($"{where}: {error}");
            }
        }
    }

    [Fact]
    public void Every_tampered_consistency_proof_up_to_size_64_is_rejected()
    {
        var (tree, _) = TreeOf(64);

        for (var size2 = 2; size2 <= 64; size2++)
        {
            var root2 = tree.RootHash(size2);
            for (var size1 = 1; size1 < size2; size1++)
            {
                var root1 = tree.RootHash(size1);
                var proof = tree.ConsistencyProof(size1, size2);
                var where = $"{size1} -> {size2}";

                for (var i = 0; i < proof.Count; i++)
                {
                    for (var bit = 0; bit < 256; bit += 85)
                    {
                        MerkleProofs.VerifyConsistency(size1, size2, FlipBit(proof, i, bit), root1, root2)
                            .ShouldBeFalse($"{where}: bit {bit} of hash {i} flipped");
                    }
                }

                MerkleProofs.VerifyConsistency(size1, size2, proof.Take(proof.Count - 1).ToList(), root1, root2)
                    .ShouldBeFalse($"{where}: last hash dropped");
                MerkleProofs.VerifyConsistency(size1, size2, proof.Skip(1).ToList(), root1, root2)
                    .ShouldBeFalse($"{where}: first hash dropped");
                MerkleProofs.VerifyConsistency(size1, size2, [.. proof, root2], root1, root2).ShouldBeFalse($"{where}: hash added");
                MerkleProofs.VerifyConsistency(size1, size2, proof, root2, root1).ShouldBeFalse($"{where}: roots swapped");
                MerkleProofs.VerifyConsistency(size1, size2, proof, Flip(root1, 7), root2).ShouldBeFalse($"{where}: other root1");
                MerkleProofs.VerifyConsistency(size1, size2, proof, root1, Flip(root2, 7)).ShouldBeFalse($"{where}: other root2");
                MerkleProofs.VerifyConsistency(size1, size2 * 2, proof, root1, root2).ShouldBeFalse($"{where}: size2 * 2");
                MerkleProofs.VerifyConsistency(size1, size2 / 2, proof, root1, root2).ShouldBeFalse($"{where}: size2 / 2");
                if (size1 + 1 < size2)
                {
                    MerkleProofs.VerifyConsistency(size1 + 1, size2, proof, root1, root2).ShouldBeFalse($"{where}: size1 + 1");
                }

                if (size1 > 1)
                {
                    MerkleProofs.VerifyConsistency(size1 - 1, size2, proof, root1, root2).ShouldBeFalse($"{where}: size1 - 1");
                }
            }
        }
    }

    [Fact]
    public void Consistency_between_equal_sizes_is_the_empty_proof()
    {
        var (tree, _) = TreeOf(5);

        tree.ConsistencyProof(5, 5).ShouldBeEmpty();
        tree.ConsistencyProof(3, 3).ShouldBeEmpty();
        MerkleProofs.VerifyConsistency(3, 3, [], tree.RootHash(3), tree.RootHash(3)).ShouldBeTrue();
    }

    [Fact]
    public void A_tree_of_100003_leaves_agrees_with_the_naive_root_and_its_proofs_verify()
    {
        var (tree, leafHashes) = TreeOf(100_003);

        tree.RootHash().ShouldBe(NaiveMerkle.Root(leafHashes));
        foreach (var (index, size) in new (long, long)[] { (0, 100_003), (100_002, 100_003), (65_535, 65_536), (65_536, 65_537), (77_777, 99_999) })
        {
            MerkleProofs.VerifyInclusion(index, size, leafHashes[(int)index], tree.InclusionProof(index, size), tree.RootHash(size))
                .ShouldBeTrue($"leaf {index} of {size}");
        }

        foreach (var (size1, size2) in new (long, long)[] { (1, 100_003), (65_536, 100_003), (65_537, 100_000), (99_999, 100_003) })
        {
            MerkleProofs.VerifyConsistency(size1, size2, tree.ConsistencyProof(size1, size2), tree.RootHash(size1), tree.RootHash(size2))
                .ShouldBeTrue($"{size1} -> {size2}");
        }
    }

    [Fact]
    public void Proofs_stay_logarithmic()
    {
        var (tree, _) = TreeOf(100_003);

        tree.InclusionProof(12_345, 100_003).Count.ShouldBeLessThanOrEqualTo(17);
        tree.ConsistencyProof(12_345, 100_003).Count.ShouldBeLessThanOrEqualTo(2 * 17);
    }

    [Fact]
    public void Storage_holds_every_leaf_hash_and_every_complete_subtree_hash()
    {
        for (var n = 0; n <= 300; n++)
        {
            var (tree, _) = TreeOf(n);
            long expected = 0;
            for (var level = 0; (n >> level) > 0; level++)
            {
                expected += n >> level;
            }

            tree.StoredHashCount.ShouldBe(expected, $"size {n}");
            tree.StoredHashCount.ShouldBe(2L * n - BitOperations.PopCount((ulong)n));
            tree.AllocatedBytes.ShouldBeGreaterThanOrEqualTo(tree.StoredHashCount * 32);
        }
    }

    [Fact]
    public void Appending_a_leaf_hash_is_the_same_as_appending_the_leaf()
    {
        var byData = new MerkleTree();
        var byHash = new MerkleTree();
        for (var i = 0; i < 20; i++)
        {
            var data = Encoding.UTF8.GetBytes($"event {i}");
            byData.Append(data).ShouldBe(i);
            byHash.AppendLeafHash(MerkleHash.Leaf(data)).ShouldBe(i);
            byHash.LeafHash(i).ShouldBe(MerkleHash.Leaf(data));
        }

        byHash.RootHash().ShouldBe(byData.RootHash());
    }

    [Fact]
    public void Large_leaves_hash_like_small_ones()
    {
        var data = new byte[5000];
        new Random(7).NextBytes(data);

        MerkleHash.Leaf(data).ShouldBe(NaiveMerkle.LeafHash(data));
    }

    [Fact]
    public void Out_of_range_requests_are_refused()
    {
        var (tree, _) = TreeOf(5);

        Should.Throw<ArgumentException>(() => tree.AppendLeafHash(new byte[31]));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.RootHash(6));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.RootHash(-1));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.LeafHash(5));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.InclusionProof(5, 5));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.InclusionProof(-1, 5));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.InclusionProof(0, 6));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(0, 5));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(4, 3));
        Should.Throw<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(1, 6));
    }

    [Fact]
    public void Appending_does_not_change_earlier_roots_or_proofs()
    {
        var (tree, _) = TreeOf(37);
        var root = tree.RootHash(37);
        var inclusion = tree.InclusionProof(20, 37);
        var consistency = tree.ConsistencyProof(21, 37);

        for (var i = 0; i < 100; i++)
        {
            tree.Append([(byte)i]);
        }

        tree.RootHash(37).ShouldBe(root);
        tree.InclusionProof(20, 37).ShouldBe(inclusion);
        tree.ConsistencyProof(21, 37).ShouldBe(consistency);
    }

    private static MerkleTree KnownTree()
    {
        var tree = new MerkleTree();
        foreach (var leaf in KnownLeaves)
        {
            tree.Append(Convert.FromHexString(leaf));
        }

        return tree;
    }

    private static (MerkleTree Tree, List<byte[]> LeafHashes) TreeOf(int size)
    {
        var tree = new MerkleTree();
        var leafHashes = new List<byte[]>(size);
        for (var i = 0; i < size; i++)
        {
            var data = Encoding.UTF8.GetBytes($"leaf {i}");
            tree.Append(data);
            leafHashes.Add(NaiveMerkle.LeafHash(data));
        }

        return (tree, leafHashes);
    }

    private static List<byte[]> FlipBit(IReadOnlyList<byte[]> proof, int element, int bit) =>
        proof.Select((hash, i) => i == element ? Flip(hash, bit) : hash).ToList();

    private static byte[] Flip(byte[] hash, int bit)
    {
        var copy = (byte[])hash.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}
