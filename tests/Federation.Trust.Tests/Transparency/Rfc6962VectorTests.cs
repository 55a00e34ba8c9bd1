using Federation.Trust.Transparency;

namespace Federation.Trust.Tests.Transparency;

public class Rfc6962VectorTests
{
    [Fact]
    public void Vector_folder_is_found_and_holds_both_kinds_of_vectors()
    {
        var (folder, problem) = Rfc6962Vectors.Locate();

        folder.ShouldNotBeNull($"RFC 6962 vectors not found: {problem}");
        Rfc6962Vectors.Files("inclusion").Count.ShouldBeGreaterThan(0);
        Rfc6962Vectors.Files("consistency").Count.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Vector_set_has_the_expected_size_and_both_outcomes()
    {
        var all = Rfc6962Vectors.Files("inclusion").Concat(Rfc6962Vectors.Files("consistency"))
            .Select(Rfc6962Vectors.Load)
            .ToList();

        // 98 inclusion and 98 consistency files (12 to accept) in the copy of transparency-dev/merkle testdata.
        all.Count.ShouldBe(196);
        all.Count(v => !v.GetProperty("wantErr").GetBoolean()).ShouldBeGreaterThan(5);
        all.Count(v => v.GetProperty("wantErr").GetBoolean()).ShouldBeGreaterThan(100);
    }

    [Theory]
    [MemberData(nameof(Rfc6962Vectors.Inclusion), MemberType = typeof(Rfc6962Vectors))]
    public void Inclusion_vector_is_accepted_or_rejected_as_published(string file)
    {
        var v = Rfc6962Vectors.Load(file);
        var wantError = v.GetProperty("wantErr").GetBoolean();

        var accepted = MerkleProofs.VerifyInclusion(
            Rfc6962Vectors.Int64(v, "leafIdx"),
            Rfc6962Vectors.Int64(v, "treeSize"),
            Rfc6962Vectors.Bytes(v, "leafHash"),
            Rfc6962Vectors.Proof(v),
            Rfc6962Vectors.Bytes(v, "root"),
            out var error);

        accepted.ShouldBe(!wantError, $"{file} ({v.GetProperty("desc").GetString()}): {error ?? "accepted"}");
        (error is null).ShouldBe(accepted);
    }

    [Theory]
    [MemberData(nameof(Rfc6962Vectors.Consistency), MemberType = typeof(Rfc6962Vectors))]
    public void Consistency_vector_is_accepted_or_rejected_as_published(string file)
    {
        var v = Rfc6962Vectors.Load(file);
        var wantError = v.GetProperty("wantErr").GetBoolean();

        var accepted = MerkleProofs.VerifyConsistency(
            Rfc6962Vectors.Int64(v, "size1"),
            Rfc6962Vectors.Int64(v, "size2"),
            Rfc6962Vectors.Proof(v),
            Rfc6962Vectors.Bytes(v, "root1"),
            Rfc6962Vectors.Bytes(v, "root2"),
            out var error);

        accepted.ShouldBe(!wantError, $"{file} ({v.GetProperty("desc").GetString()}): {error ?? "accepted"}");
        (error is null).ShouldBe(accepted);
    }
}
