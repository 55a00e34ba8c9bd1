using System.Text;
using Federation.Trust.Transparency;

namespace Federation.Trust.Tests.Transparency;

/// <summary>
/// Signed notes (c2sp.org/signed-note), checked against the published vectors of
/// golang.org/x/mod/sumdb/note (note_test.go and the package documentation).
/// </summary>
public class SignedNoteTests
{
    // golang.org/x/mod/sumdb/note note_test.go.
    private const string PeterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string PeterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string EnochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    private const string Text =
        "If you think cryptography is the answer to your problem,\n" +
        "then you don't know what your problem is.\n";

    private const string PeterSig =
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private const string EnochSig =
        "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    private static readonly NoteVerifier Peter = NoteVerifier.Parse(PeterVerifierKey);
    private static readonly NoteVerifier Enoch = NoteVerifier.Parse(EnochVerifierKey);

    [Fact]
    public void Go_signing_key_decodes_to_a_seed_whose_verifier_key_is_the_published_one()
    {
        using var key = Ed25519KeyPair.FromSeed(GoSignerSeed(PeterSignerKey));
        var signer = new NoteSigner("PeterNeumann", key);

        signer.KeyHash.ShouldBe(0xc74f20a3u);
        signer.Verifier.VerifierKey.ShouldBe(PeterVerifierKey);
    }

    [Fact]
    public void Signing_reproduces_the_Go_note_package_output_byte_for_byte()
    {
        using var key = Ed25519KeyPair.FromSeed(GoSignerSeed(PeterSignerKey));

        var note = SignedNote.Sign(Text, new NoteSigner("PeterNeumann", key));

        note.ShouldBe(Text + "\n" + PeterSig);
        Encoding.UTF8.GetBytes(note).ShouldBe(Encoding.UTF8.GetBytes(
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n"
            + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"));
    }

    [Fact]
    public void Go_verifier_keys_parse_and_print_back_unchanged()
    {
        Peter.Name.ShouldBe("PeterNeumann");
        Peter.KeyHash.ShouldBe(0xc74f20a3u);
        Peter.VerifierKey.ShouldBe(PeterVerifierKey);
        Peter.ToString().ShouldBe(PeterVerifierKey);
        Enoch.KeyHash.ShouldBe(0xaf0cfe78u);
        Enoch.VerifierKey.ShouldBe(EnochVerifierKey);
    }

    [Fact]
    public void Every_mangling_of_a_verifier_key_is_refused_as_in_Go_TestNewVerifier()
    {
        var key = PeterVerifierKey;
        for (var i = 0; i <= key.Length; i++)
        {
            for (var j = i + 1; j <= key.Length; j++)
            {
                if (i != 0 || j != key.Length)
                {
                    NoteVerifier.TryParse(key[i..j], out _, out _).ShouldBeFalse($"substring [{i}..{j}) \"{key[i..j]}\"");
                }
            }
        }

        for (var i = 0; i < key.Length; i++)
        {
            var changed = key[..i] + (char)(key[i] + 1) + key[(i + 1)..];
            NoteVerifier.TryParse(changed, out _, out _).ShouldBeFalse($"character {i} changed: \"{changed}\"");
        }

        // Wrong key length and unknown algorithm, each with a key hash adjusted to match.
        NoteVerifier.TryParse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull();
        NoteVerifier.TryParse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", out _, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("unknown signature algorithm");
    }

    [Fact]
    public void Verifier_key_errors_say_what_is_wrong()
    {
        Should.Throw<FormatException>(() => NoteVerifier.Parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
            .Message.ShouldContain("does not match the name and key (expected c74f20a3)");
        Should.Throw<FormatException>(() => NoteVerifier.Parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
            .Message.ShouldContain("white space");
        Should.Throw<FormatException>(() => NoteVerifier.Parse("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
            .Message.ShouldContain("8 hex digits");
    }

    [Fact]
    public void Open_with_one_known_key_verifies_it_and_reports_the_other_as_unverified()
    {
        var opened = SignedNote.Open(Text + "\n" + PeterSig + EnochSig, [Peter]);

        opened.Body.ShouldBe(Text);
        opened.VerifiedSignatures.ShouldBe([Signature(PeterSig)]);
        opened.UnverifiedSignatures.ShouldBe([Signature(EnochSig)]);
    }

    [Fact]
    public void Open_with_both_keys_verifies_both_signatures()
    {
        var opened = SignedNote.Open(Text + "\n" + PeterSig + EnochSig, [Peter, Enoch]);

        opened.VerifiedSignatures.ShouldBe([Signature(PeterSig), Signature(EnochSig)]);
        opened.UnverifiedSignatures.ShouldBeEmpty();
    }

    [Fact]
    public void Note_signed_only_by_unknown_keys_is_refused()
    {
        SignedNote.TryOpen(Text + "\n" + PeterSig + EnochSig, [], out _, out var error).ShouldBeFalse();

        error.ShouldNotBeNull().ShouldStartWith("note has no verifiable signatures");
        error.ShouldContain("PeterNeumann+c74f20a3");
    }

    [Fact]
    public void Key_listed_twice_is_ambiguous_only_when_it_signed()
    {
        SignedNote.TryOpen(Text + "\n" + EnochSig, [Enoch, Peter, Enoch], out _, out var error).ShouldBeFalse();
        error.ShouldBe("ambiguous key EnochRoot+af0cfe78: the verifier list holds it 2 times");

        SignedNote.TryOpen(Text + "\n" + PeterSig, [Enoch, Peter, Enoch], out _, out _).ShouldBeTrue();
    }

    [Fact]
    public void More_than_100_signature_lines_are_refused()
    {
        SignedNote.TryOpen(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 101)), [Peter], out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("malformed note");

        SignedNote.TryOpen(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 100)), [Peter], out _, out _).ShouldBeTrue();
    }

    [Fact]
    public void Changed_signature_by_a_known_key_rejects_the_whole_note()
    {
        var note = Text + "\n" + PeterSig[..60] + "ABCD" + PeterSig[60..];

        SignedNote.TryOpen(note, [Peter], out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("invalid signature for key PeterNeumann+c74f20a3");
    }

    [Fact]
    public void Repeated_signatures_count_once_and_unknown_ones_are_listed_once()
    {
        var enochAbcd = EnochSig[..60] + "ABCD" + EnochSig[60..];
        var opened = SignedNote.Open(Text + "\n" + PeterSig + PeterSig + EnochSig + EnochSig + enochAbcd, [Peter]);

        opened.VerifiedSignatures.ShouldBe([Signature(PeterSig)]);
        opened.UnverifiedSignatures.ShouldBe([Signature(EnochSig), Signature(enochAbcd)]);
    }

    [Theory]
    [InlineData("no separating line", Text)]
    [InlineData("no signature lines", Text + "\n")]
    [InlineData("last line unterminated", Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")]
    [InlineData("control character", "\u0001" + Text + "\n" + PeterSig)]
    [InlineData("name with a space", Text + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")]
    [InlineData("line after the signatures", Text + "\n" + PeterSig + "Unexpected line.\n")]
    [InlineData("hyphen instead of em dash", Text + "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")]
    [InlineData("carriage return", Text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n")]
    [InlineData("signature too short", Text + "\n— PeterNeumann x08g\n")]
    [InlineData("base64 without padding", Text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n")]
    [InlineData("name with a plus", Text + "\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")]
    public void Malformed_notes_are_refused_with_a_reason(string what, string note)
    {
        SignedNote.TryOpen(note, [Peter], out var opened, out var error).ShouldBeFalse(what);

        opened.ShouldBeNull();
        error.ShouldNotBeNull().ShouldStartWith("malformed note", customMessage: what);
        Should.Throw<SignedNoteException>(() => SignedNote.Open(note, [Peter])).Message.ShouldBe(error);
    }

    [Fact]
    public void Invalid_UTF8_is_refused()
    {
        byte[] note = [0xff, .. Encoding.UTF8.GetBytes(Text + "\n" + PeterSig)];

        SignedNote.TryOpen(note, [Peter], out _, out var error).ShouldBeFalse();
        error.ShouldBe("malformed note: not valid UTF-8");
        SignedNote.Open(Encoding.UTF8.GetBytes(Text + "\n" + PeterSig), [Peter]).Body.ShouldBe(Text);
    }

    [Fact]
    public void Unknown_key_sharing_the_name_or_the_hash_of_a_known_key_is_ignored()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 2"].SeedBytes);
        var impostor = new NoteSigner("PeterNeumann", key);
        var note = SignedNote.Sign(Text, [impostor]);

        // Same name, other key hash: not Peter's key, so not checked, and nothing verifies.
        SignedNote.TryOpen(note, [Peter], out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("note has no verifiable signatures");

        // Appended to a note Peter did sign, it is carried along as unverified.
        var opened = SignedNote.Open(Text + "\n" + PeterSig + note[(Text.Length + 1)..], [Peter]);
        opened.VerifiedSignatures.Count.ShouldBe(1);
        opened.UnverifiedSignatures.Single().KeyName.ShouldBe("PeterNeumann");
    }

    [Fact]
    public void Round_trip_with_our_key_and_every_tampering_is_refused()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        var signer = new NoteSigner("federation.example/log", key);
        const string body = "federation.example/log\n3\ncuDRdZjUDBQ/FOv7BeLFxN3Wvr8WXzVpRDrEaViH0wI=\n";

        var note = SignedNote.Sign(body, signer);
        SignedNote.Open(note, [signer.Verifier]).Body.ShouldBe(body);

        SignedNote.TryOpen(note.Replace("\n3\n", "\n4\n", StringComparison.Ordinal), [signer.Verifier], out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldStartWith("invalid signature");
        SignedNote.TryOpen(note.Replace("cuDR", "cuDS", StringComparison.Ordinal), [signer.Verifier], out _, out _).ShouldBeFalse();
        SignedNote.TryOpen("x" + note, [signer.Verifier], out _, out _).ShouldBeFalse();

        var signatureStart = note.LastIndexOf(' ') + 1;
        for (var i = signatureStart; i < note.Length - 2; i += 7)
        {
            var c = note[i] == 'A' ? 'B' : 'A';
            var changed = note[..i] + c + note[(i + 1)..];
            SignedNote.TryOpen(changed, [signer.Verifier], out _, out _).ShouldBeFalse($"signature character {i - signatureStart} changed");
        }
    }

    [Fact]
    public void Several_signers_each_add_a_line_in_order()
    {
        using var key1 = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        using var key2 = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 2"].SeedBytes);
        var log = new NoteSigner("federation.example/log", key1);
        var witness = new NoteSigner("witness.example/w1", key2);

        var note = SignedNote.Sign("hello\n", [log, witness]);

        note.Split('\n').Where(line => line.StartsWith('—')).Select(line => line.Split(' ')[1])
            .ShouldBe(["federation.example/log", "witness.example/w1"]);
        SignedNote.Open(note, [log.Verifier, witness.Verifier]).VerifiedSignatures.Count.ShouldBe(2);
        SignedNote.Open(note, [witness.Verifier]).UnverifiedSignatures.Single().KeyName.ShouldBe("federation.example/log");
    }

    [Fact]
    public void Body_with_empty_lines_splits_at_the_last_empty_line()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        var signer = new NoteSigner("poet", key);
        const string body = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n";

        SignedNote.Open(SignedNote.Sign(body, signer), [signer.Verifier]).Body.ShouldBe(body);
    }

    [Fact]
    public void Bodies_and_names_that_cannot_be_written_are_refused_when_signing()
    {
        using var key = Ed25519KeyPair.FromSeed(Rfc8032Vectors.ByName["TEST 1"].SeedBytes);
        var signer = new NoteSigner("log", key);

        Should.Throw<ArgumentException>(() => SignedNote.Sign("no final newline", signer));
        Should.Throw<ArgumentException>(() => SignedNote.Sign("tab\there\n", signer));
        Should.Throw<ArgumentException>(() => SignedNote.Sign("lone \ud800 surrogate\n", signer));
        Should.Throw<ArgumentException>(() => SignedNote.Sign("nobody\n", Array.Empty<NoteSigner>()));
        Should.Throw<ArgumentException>(() => new NoteSigner("two words", key));
        Should.Throw<ArgumentException>(() => new NoteSigner("a+b", key));
        Should.Throw<ArgumentException>(() => new NoteSigner("", key));
        Should.Throw<ArgumentException>(() => new NoteSigner("no\u00a0break", key));
    }

    [Fact]
    public void Key_hash_is_the_first_four_bytes_of_SHA256_of_name_newline_algorithm_and_key()
    {
        var publicKey = Rfc8032Vectors.ByName["TEST 1"].PublicKeyBytes;
        byte[] input = [.. "federation.example/log"u8, 0x0a, 0x01, .. publicKey];
        var digest = System.Security.Cryptography.SHA256.HashData(input);

        NoteVerifier.ComputeKeyHash("federation.example/log", publicKey)
            .ShouldBe((uint)(digest[0] << 24 | digest[1] << 16 | digest[2] << 8 | digest[3]));
        NoteVerifier.ComputeKeyHash("federation.example/log", publicKey).ShouldBe(0x5515ed8eu);
    }

    private static NoteSignature Signature(string line)
    {
        var parts = line.TrimEnd('\n').Split(' ');
        var bytes = Convert.FromBase64String(parts[2]);
        return new NoteSignature(parts[1], (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]), parts[2]);
    }

    // Go's signer key: PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ 32-byte seed).
    private static byte[] GoSignerSeed(string signerKey)
    {
        var encoded = Convert.FromBase64String(signerKey.Split('+', 5)[4]);
        encoded.Length.ShouldBe(33);
        encoded[0].ShouldBe((byte)0x01);
        return encoded[1..];
    }
}
