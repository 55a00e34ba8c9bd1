using Federation.Trust.Transparency;

namespace Federation.Trust.Tests.Transparency;

public class MerkleProofsTests
{
    private static readonly MerkleTree Tree = BuildTree(11);

    [Fact]
    public void Null_proof_or_null_element_is_refused_with_a_reason()
    {
        var leaf = Tree.LeafHash(3);
        var root = Tree.RootHash();

        MerkleProofs.VerifyInclusion(3, 11, leaf, null, root, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("null");

        var proof = Tree.InclusionProof(3, 11).ToList();
        proof[1] = null!;
        MerkleProofs.VerifyInclusion(3, 11, leaf, proof, root, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("proof hash 1");

        MerkleProofs.VerifyConsistency(4, 11, null, Tree.RootHash(4), root, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("null");
    }

    [Fact]
    public void Reasons_say_where_the_proof_went_wrong()
    {
        var root = Tree.RootHash();
        var proof = Tree.InclusionProof(3, 11);

        MerkleProofs.VerifyInclusion(11, 11, Tree.LeafHash(3), proof, root, out var error).ShouldBeFalse();
        error.ShouldBe("leaf index 11 is beyond the tree of size 11");

        MerkleProofs.VerifyInclusion(3, 11, Tree.LeafHash(3), proof.Take(2).ToList(), root, out error).ShouldBeFalse();
        error.ShouldBe("the proof has 2 hashes; these sizes need exactly 4");

        MerkleProofs.VerifyInclusion(3, 11, Tree.LeafHash(4), proof, root, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("the root calculated from the proof");

        MerkleProofs.VerifyConsistency(0, 11, [], MerkleHash.EmptyRoot(), root, out error).ShouldBeFalse();
        error.ShouldBe("a consistency proof from the empty tree proves nothing");

        MerkleProofs.VerifyConsistency(5, 11, Tree.ConsistencyProof(5, 11), Tree.RootHash(6), root, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("the first root calculated from the proof");

        MerkleProofs.VerifyConsistency(5, 11, Tree.ConsistencyProof(5, 11), Tree.RootHash(5), Tree.RootHash(10), out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("the second root calculated from the proof");

        MerkleProofs.VerifyConsistency(5, 11, Tree.ConsistencyProof(5, 11), Tree.RootHash(5), root, out error).ShouldBeTrue();
        error.ShouldBeNull();
    }

    [Theory]
    [InlineData(-1, 5)]
    [InlineData(0, -5)]
    [InlineData(long.MinValue, long.MaxValue)]
    [InlineData(long.MaxValue - 1, long.MaxValue)]
    [InlineData(0, long.MaxValue)]
    [InlineData(1L << 62, (1L << 62) + 1)]
    public void Extreme_sizes_are_answered_with_false(long a, long b)
    {
        var hash = new byte[32];
        IReadOnlyList<byte[]> proof = Enumerable.Repeat(hash, 64).ToList();

        MerkleProofs.VerifyInclusion(a, b, hash, proof, hash).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(a, b, proof, hash, hash).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(b, a, proof, hash, hash).ShouldBeFalse();
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 20_000; i++)
        {
            var a = RandomSize(random);
            var b = RandomSize(random);
            var proof = Enumerable.Range(0, random.Next(0, 70)).Select(_ => RandomHash(random)).ToList();

            Should.NotThrow(() => MerkleProofs.VerifyInclusion(a, b, RandomHash(random), proof, RandomHash(random)));
            Should.NotThrow(() => MerkleProofs.VerifyConsistency(a, b, proof, RandomHash(random), RandomHash(random)));
        }
    }

    [Fact]
    public void Hashes_of_the_wrong_length_are_refused()
    {
        var proof = Tree.InclusionProof(3, 11);
        var root = Tree.RootHash();

        MerkleProofs.VerifyInclusion(3, 11, Tree.LeafHash(3).AsSpan(0, 31), proof, root).ShouldBeFalse();
        MerkleProofs.VerifyInclusion(3, 11, Tree.LeafHash(3), proof, root.AsSpan(0, 31)).ShouldBeFalse();
        MerkleProofs.VerifyInclusion(3, 11, Tree.LeafHash(3), [.. proof.Take(3), [.. proof[3], 0]], root).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(5, 11, Tree.ConsistencyProof(5, 11), Tree.RootHash(5).AsSpan(0, 31), root).ShouldBeFalse();
    }

    private static long RandomSize(Random random) => random.Next(4) switch
    {
        0 => random.Next(-3, 70),
        1 => random.NextInt64(),
        2 => -random.NextInt64(),
        _ => 1L << random.Next(0, 63),
    };

    private static byte[] RandomHash(Random random)
    {
        var hash = new byte[random.Next(10) == 0 ? random.Next(0, 40) : 32];
        random.NextBytes(hash);
        return hash;
    }

    private static MerkleTree BuildTree(int size)
    {
        var tree = new MerkleTree();
        for (var i = 0; i < size; i++)
        {
            tree.Append([(byte)i]);
        }

        return tree;
    }
}
