namespace Federation.Trust.Tests;

public class Ed25519Tests
{
    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Published_RFC_8032_signature_verifies(string vector)
    {
        var v = Rfc8032Vectors.ByName[vector];

        Ed25519.Verify(v.PublicKeyBytes, v.MessageBytes, v.SignatureBytes).ShouldBeTrue();
    }

    [Fact]
    public void Signature_over_a_changed_message_does_not_verify()
    {
        var v = Rfc8032Vectors.ByName["TEST 3"];

        Ed25519.Verify(v.PublicKeyBytes, FlipBit(v.MessageBytes, 0), v.SignatureBytes).ShouldBeFalse();
    }

    [Fact]
    public void Signature_over_a_longer_message_does_not_verify()
    {
        var v = Rfc8032Vectors.ByName["TEST 1"];

        Ed25519.Verify(v.PublicKeyBytes, [0x00], v.SignatureBytes).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(63)]
    public void Changed_signature_does_not_verify(int byteIndex)
    {
        var v = Rfc8032Vectors.ByName["TEST 2"];

        Ed25519.Verify(v.PublicKeyBytes, v.MessageBytes, FlipBit(v.SignatureBytes, byteIndex)).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void Signature_does_not_verify_with_a_changed_public_key(int byteIndex)
    {
        var v = Rfc8032Vectors.ByName["TEST SHA(abc)"];

        Ed25519.Verify(FlipBit(v.PublicKeyBytes, byteIndex), v.MessageBytes, v.SignatureBytes).ShouldBeFalse();
    }

    [Fact]
    public void Signature_does_not_verify_with_another_keys_public_key()
    {
        var signed = Rfc8032Vectors.ByName["TEST 2"];
        var other = Rfc8032Vectors.ByName["TEST 3"];

        Ed25519.Verify(other.PublicKeyBytes, signed.MessageBytes, signed.SignatureBytes).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Public_key_of_the_wrong_length_is_answered_with_false(int length)
    {
        var v = Rfc8032Vectors.ByName["TEST 1"];
        var publicKey = new byte[length];
        v.PublicKeyBytes.AsSpan(0, Math.Min(length, 32)).CopyTo(publicKey);

        Ed25519.Verify(publicKey, v.MessageBytes, v.SignatureBytes).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(65)]
    public void Signature_of_the_wrong_length_is_answered_with_false(int length)
    {
        var v = Rfc8032Vectors.ByName["TEST 1"];
        var signature = new byte[length];
        v.SignatureBytes.AsSpan(0, Math.Min(length, 64)).CopyTo(signature);

        Ed25519.Verify(v.PublicKeyBytes, v.MessageBytes, signature).ShouldBeFalse();
    }

    [Fact]
    public void Sizes_are_the_Ed25519_sizes()
    {
        Ed25519.SeedLength.ShouldBe(32);
        Ed25519.PublicKeyLength.ShouldBe(32);
        Ed25519.SignatureLength.ShouldBe(64);
    }

    private static byte[] FlipBit(byte[] bytes, int byteIndex)
    {
        var copy = (byte[])bytes.Clone();
        copy[byteIndex] ^= 0x01;
        return copy;
    }
}
