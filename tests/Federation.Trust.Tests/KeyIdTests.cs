using System.Security.Cryptography;

namespace Federation.Trust.Tests;

public class KeyIdTests
{
    [Fact]
    public void Key_id_is_64_lowercase_hex_characters()
    {
        var keyId = KeyId.Of(Rfc8032Vectors.ByName["TEST 1"].PublicKeyBytes);

        keyId.Length.ShouldBe(64);
        keyId.ShouldMatch("^[0-9a-f]{64}$");
    }

    [Fact]
    public void Key_id_is_the_SHA_256_of_the_raw_public_key()
    {
        var publicKey = Rfc8032Vectors.ByName["TEST 2"].PublicKeyBytes;

        KeyId.Of(publicKey).ShouldBe(Convert.ToHexStringLower(SHA256.HashData(publicKey)));
    }

    [Fact]
    public void Different_public_keys_have_different_key_ids()
    {
        KeyId.Of(Rfc8032Vectors.ByName["TEST 1"].PublicKeyBytes)
            .ShouldNotBe(KeyId.Of(Rfc8032Vectors.ByName["TEST 2"].PublicKeyBytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Key_that_is_not_32_bytes_has_no_key_id(int length)
    {
        Should.Throw<ArgumentException>(() => KeyId.Of(new byte[length]));
    }
}
