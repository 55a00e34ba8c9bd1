using System.Security.Cryptography;

namespace Federation.Trust.Tests;

public class Ed25519KeyPairTests
{
    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Key_from_an_RFC_8032_seed_has_the_published_public_key(string vector)
    {
        var v = Rfc8032Vectors.ByName[vector];
        using var key = Ed25519KeyPair.FromSeed(v.SeedBytes);

        Convert.ToHexStringLower(key.PublicKey.Span).ShouldBe(v.PublicKey);
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Signature_of_an_RFC_8032_message_is_the_published_signature(string vector)
    {
        var v = Rfc8032Vectors.ByName[vector];
        using var key = Ed25519KeyPair.FromSeed(v.SeedBytes);

        Convert.ToHexStringLower(key.Sign(v.MessageBytes)).ShouldBe(v.Signature);
    }

    [Fact]
    public void Seed_must_be_32_bytes()
    {
        Should.Throw<ArgumentException>(() => Ed25519KeyPair.FromSeed(new byte[31]));
        Should.Throw<ArgumentException>(() => Ed25519KeyPair.FromSeed(new byte[64]));
    }

    [Fact]
    public void Exported_seed_recreates_the_same_key()
    {
        using var original = Ed25519KeyPair.Generate();
        using var copy = Ed25519KeyPair.FromSeed(original.ExportSeed());

        copy.PublicKey.ToArray().ShouldBe(original.PublicKey.ToArray());
        copy.Sign("same"u8).ShouldBe(original.Sign("same"u8));
    }

    [Fact]
    public void Exported_seed_is_the_seed_the_key_was_made_from()
    {
        var v = Rfc8032Vectors.ByName["TEST 1"];
        using var key = Ed25519KeyPair.FromSeed(v.SeedBytes);

        key.ExportSeed().ShouldBe(v.SeedBytes);
    }

    [Fact]
    public void Generated_keys_are_different_each_time()
    {
        using var a = Ed25519KeyPair.Generate();
        using var b = Ed25519KeyPair.Generate();

        a.PublicKey.ToArray().ShouldNotBe(b.PublicKey.ToArray());
    }

    [Fact]
    public void Signature_of_a_generated_key_verifies_with_its_public_key()
    {
        using var key = Ed25519KeyPair.Generate();
        var message = "model update 42"u8.ToArray();

        var signature = key.Sign(message);

        signature.Length.ShouldBe(64);
        Ed25519.Verify(key.PublicKey.Span, message, signature).ShouldBeTrue();
    }

    [Fact]
    public void Key_id_is_the_key_id_of_the_public_key()
    {
        using var key = Ed25519KeyPair.Generate();

        key.KeyId.ShouldBe(KeyId.Of(key.PublicKey.Span));
    }

    [Fact]
    public void Disposed_key_can_no_longer_sign_or_export_its_seed()
    {
        var key = Ed25519KeyPair.Generate();
        key.Dispose();

        Should.Throw<ObjectDisposedException>(() => key.Sign("late"u8));
        Should.Throw<ObjectDisposedException>(() => key.ExportSeed());
    }

    [Fact]
    public void Disposed_key_keeps_its_public_key_and_key_id()
    {
        var key = Ed25519KeyPair.Generate();
        var publicKey = key.PublicKey.ToArray();
        var keyId = key.KeyId;

        key.Dispose();

        key.PublicKey.ToArray().ShouldBe(publicKey);
        key.KeyId.ShouldBe(keyId);
    }

    [Fact]
    public void Keys_can_be_made_and_used_from_many_threads_at_once()
    {
        // The first use initialises NSec and libsodium; racing threads must all see them ready.
        var results = new bool[64];
        Parallel.For(0, results.Length, i =>
        {
            using var key = Ed25519KeyPair.Generate();
            var message = BitConverter.GetBytes(i);
            results[i] = Ed25519.Verify(key.PublicKey.Span, message, key.Sign(message));
        });

        results.ShouldAllBe(ok => ok);
    }

    [Fact]
    public void Signing_does_not_change_with_the_callers_seed_buffer()
    {
        // FromSeed copies the seed, so a caller wiping its buffer does not wipe the key.
        var v = Rfc8032Vectors.ByName["TEST 2"];
        var seed = v.SeedBytes;
        using var key = Ed25519KeyPair.FromSeed(seed);

        CryptographicOperations.ZeroMemory(seed);

        Convert.ToHexStringLower(key.Sign(v.MessageBytes)).ShouldBe(v.Signature);
    }
}
