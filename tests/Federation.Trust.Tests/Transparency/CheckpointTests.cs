using System.Text;
using Federation.Trust.Transparency;

namespace Federation.Trust.Tests.Transparency;

public class CheckpointTests
{
    private const string Origin = "federation.example/log";
    private const string Root3Base64 = "cuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=";

    // A real checkpoint of the Go checksum database (origin "go.sum database tree") with its
    // published verifier key, as used in google/trillian-examples formats/log/checkpoint_test.go.
    private const string SumDbVerifierKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
    private const string SumDbCheckpoint =
        "go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
        + "— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n";

    // The worked example of docs/FORMATS.md, computed independently with Python (hashlib and
    // pyca/cryptography): the leaves "event 0", "event 1", "event 2", signed with the RFC 8032
    // TEST 1 key.
    private const string ExampleNote =
        "federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n\n"
        + "— federation.example/log VRXtjoGJZiSwwFWB10atvlfH/WUCbkV9Uhk2Kz/CU+YMItvFCtmhgbX+4O45czRXihslNM4dt5MVU5MBfGfUOzQe+wI=\n";

    [Fact]
    public void Body_is_origin_size_and_base64_root_each_on_its_own_line()
    {
        var checkpoint = new Checkpoint(Origin, 3, Convert.FromBase64String(Root3Base64));

        checkpoint.Format().ShouldBe("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n");
        checkpoint.Extensions.ShouldBeEmpty();
    }

    [Fact]
    public void Extension_lines_follow_the_root_and_survive_a_round_trip()
    {
        var checkpoint = new Checkpoint(Origin, 0, MerkleHash.EmptyRoot(), ["timestamp 1718000000", "— not a signature"]);
        var body = checkpoint.Format();

        body.ShouldBe("federation.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntimestamp 1718000000\n— not a signature\n");
        var parsed = Checkpoint.Parse(body);
        parsed.ShouldBe(checkpoint);
        parsed.Extensions.ShouldBe(["timestamp 1718000000", "— not a signature"]);
        parsed.Format().ShouldBe(body);
    }

    [Fact]
    public void Parse_reads_back_what_Format_wrote()
    {
        var tree = new MerkleTree();
        for (var i = 0; i < 1234; i++)
        {
            tree.Append(Encoding.UTF8.GetBytes($"event {i}"));
        }

        var checkpoint = new Checkpoint(Origin, tree.Size, tree.RootHash());
        var parsed = Checkpoint.Parse(checkpoint.Format());

        parsed.Origin.ShouldBe(Origin);
        parsed.Size.ShouldBe(1234);
        parsed.RootHash.ShouldBe(tree.RootHash());
        parsed.ShouldBe(checkpoint);
        parsed.GetHashCode().ShouldBe(checkpoint.GetHashCode());
        parsed.ShouldNotBe(new Checkpoint(Origin, 1233, tree.RootHash(1233)));
    }

    [Theory]
    [InlineData("", "line")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=", "does not end with a newline")]
    [InlineData("federation.example/log\n3\n", "2 line(s)")]
    [InlineData("\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "line 1 (origin) is empty")]
    [InlineData("federation.example/log\n\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "line 2 (tree size): empty")]
    [InlineData("federation.example/log\n03\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "leading zero")]
    [InlineData("federation.example/log\n+3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "digits 0-9 only")]
    [InlineData("federation.example/log\n-3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "digits 0-9 only")]
    [InlineData("federation.example/log\n 3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "digits 0-9 only")]
    [InlineData("federation.example/log\n३\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "digits 0-9 only")]
    [InlineData("federation.example/log\n9223372036854775808\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "larger than")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI\n", "line 3 (root hash)")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wJ=\n", "not canonical")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7 BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "not canonical")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ_FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "not canonical")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaVg=\n", "decodes to 29 bytes")]
    [InlineData("federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n\n", "line 4 (extension) is empty")]
    [InlineData("federation.example/log\r\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n", "control character U+000D")]
    public void Malformed_bodies_are_refused_saying_where(string body, string reason)
    {
        Checkpoint.TryParse(body, out var checkpoint, out var error).ShouldBeFalse();

        checkpoint.ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(reason);
        Should.Throw<FormatException>(() => Checkpoint.Parse(body)).Message.ShouldContain(reason);
    }

    [Fact]
    public void Checkpoints_that_cannot_be_written_are_refused()
    {
        var root = MerkleHash.EmptyRoot();

        Should.Throw<ArgumentException>(() => new Checkpoint("", 0, root));
        Should.Throw<ArgumentException>(() => new Checkpoint("two\nlines", 0, root));
        Should.Throw<ArgumentException>(() => new Checkpoint("tab\there", 0, root));
        Should.Throw<ArgumentOutOfRangeException>(() => new Checkpoint(Origin, -1, root));
        Should.Throw<ArgumentException>(() => new Checkpoint(Origin, 0, new byte[31]));
        Should.Throw<ArgumentException>(() => new Checkpoint(Origin, 0, root, [""]));
        Should.Throw<ArgumentException>(() => new Checkpoint(Origin, 0, root, ["a\nb"]));
    }

    [Fact]
    public void Root_hash_is_copied_in_and_out()
    {
        var root = MerkleHash.EmptyRoot();
        var checkpoint = new Checkpoint(Origin, 0, root);

        root[0] ^= 1;
        checkpoint.RootHash[1] ^= 1;

        checkpoint.RootHash.ShouldBe(MerkleHash.EmptyRoot());
    }

    [Fact]
    public void Real_Go_checksum_database_checkpoint_verifies_with_its_published_key()
    {
        var verifier = NoteVerifier.Parse(SumDbVerifierKey);

        var checkpoint = Checkpoint.OpenSigned(SumDbCheckpoint, "go.sum database tree", [verifier]);

        verifier.KeyHash.ShouldBe(0x033de0aeu);
        checkpoint.Size.ShouldBe(6476701);
        Convert.ToBase64String(checkpoint.RootHash).ShouldBe("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=");
        Checkpoint.TryOpenSigned(SumDbCheckpoint, "sum.golang.org", [verifier], out _, out var error).ShouldBeFalse();
        error.ShouldBe("the checkpoint is from origin \"go.sum database tree\", not the expected \"sum.golang.org\"");
        Checkpoint.TryOpenSigned(SumDbCheckpoint.Replace("6476701", "6476702", StringComparison.Ordinal), "go.sum database tree", [verifier], out _, out _)
            .ShouldBeFalse();
    }

    [Fact]
    public void Worked_example_signs_to_the_independently_computed_note()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        var signer = new NoteSigner(Origin, key);
        var tree = new MerkleTree();
        foreach (var leaf in new[] { "event 0", "event 1", "event 2" })
        {
            tree.Append(Encoding.UTF8.GetBytes(leaf));
        }

        Convert.ToHexStringLower(tree.LeafHash(0)).ShouldBe("a344deda6399e079700f18caccc174ed11ef1b1d164271e3a95d82c734466977");
        Convert.ToHexStringLower(tree.RootHash(2)).ShouldBe("9597a008c399108ddc67f881629dfbda16be63fcb74b42892f749dde08d3364a");
        Convert.ToHexStringLower(tree.RootHash()).ShouldBe("72e0d17598d40c143f14ebfb05e2c5c4ddd6bebf165f3569443ac4695887d302");
        tree.InclusionProof(2, 3).Select(Convert.ToHexStringLower).ShouldBe(["9597a008c399108ddc67f881629dfbda16be63fcb74b42892f749dde08d3364a"]);
        tree.ConsistencyProof(2, 3).Select(Convert.ToHexStringLower).ShouldBe(["9b0b2f1d58bf086890b4146f09efa42ca13e525aa03393921560c5814ff53088"]);
        signer.Verifier.VerifierKey.ShouldBe("federation.example/log+5515ed8e+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");

        var note = new Checkpoint(Origin, tree.Size, tree.RootHash()).Sign(signer);

        note.ShouldBe(ExampleNote);
        Checkpoint.OpenSigned(note, Origin, [NoteVerifier.Parse("federation.example/log+5515ed8e+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea")])
            .ShouldBe(new Checkpoint(Origin, 3, tree.RootHash()));
    }

    [Theory]
    [InlineData("size", "\n3\n", "\n4\n")]
    [InlineData("root", "cuDRdZjU", "cuDRdZjV")]
    [InlineData("origin", "federation.example/log\n3", "federation.example/loh\n3")]
    [InlineData("signature", "VRXtjoGJ", "VRXtjoGK")]
    [InlineData("key hash", "— federation.example/log VRXt", "— federation.example/log VRXu")]
    public void Tampered_signed_checkpoint_is_refused(string what, string from, string to)
    {
        var verifier = NoteVerifier.Parse("federation.example/log+5515ed8e+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
        var tampered = ExampleNote.Replace(from, to, StringComparison.Ordinal);

        tampered.ShouldNotBe(ExampleNote);
        Checkpoint.TryOpenSigned(tampered, Origin, [verifier], out var checkpoint, out var error).ShouldBeFalse(what);
        checkpoint.ShouldBeNull();
        error.ShouldNotBeNull();
        Should.Throw<SignedNoteException>(() => Checkpoint.OpenSigned(tampered, Origin, [verifier]));
    }

    [Fact]
    public void Signed_note_that_is_not_a_checkpoint_is_refused()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        var signer = new NoteSigner(Origin, key);
        var note = SignedNote.Sign("federation.example/log\nthree\n", signer);

        Checkpoint.TryOpenSigned(note, Origin, [signer.Verifier], out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("the signed note is not a checkpoint: ");
    }
}
