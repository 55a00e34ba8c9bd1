namespace Federation.Trust.Tests;

public class HttpMessageSignatureTests
{
    private static readonly Uri Target = new("https://aggregator.example/api/model-files/" + new string('a', 64));
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    private static Ed25519KeyPair FixedKey() => Ed25519KeyPair.FromSeed(new byte[32]);

    [Fact]
    public void Signature_base_is_the_RFC_9421_layout_of_method_target_and_parameters()
    {
        var signatureBase = HttpMessageSignature.Base("GET", "https://aggregator.example/api/model-files/ab", 1_800_000_000, "plant-7/0123");

        signatureBase.ShouldBe(
            "\"@method\": GET\n" +
            "\"@target-uri\": https://aggregator.example/api/model-files/ab\n" +
            "\"@signature-params\": (\"@method\" \"@target-uri\");created=1800000000;keyid=\"plant-7/0123\";alg=\"ed25519\"");
    }

    [Fact]
    public void Signed_headers_name_the_gateway_and_key_and_verify_against_the_public_key()
    {
        using var key = FixedKey();
        var headers = HttpMessageSignature.Sign("GET", Target, Now, "plant-7", key);

        headers.SignatureInput.ShouldBe(
            $"sig1=(\"@method\" \"@target-uri\");created=1800000000;keyid=\"plant-7/{key.KeyId}\";alg=\"ed25519\"");
        headers.Signature.ShouldStartWith("sig1=:");
        var read = HttpMessageSignature.TryRead(headers.SignatureInput, headers.Signature, out var reason).ShouldNotBeNull(reason);
        read.GatewayId.ShouldBe("plant-7");
        read.SignerKeyId.ShouldBe(key.KeyId);
        HttpMessageSignature.Verify(read, "GET", Target.AbsoluteUri, key.PublicKey.Span, Now, Skew).ShouldBeNull();
    }

    [Fact]
    public void Signature_of_the_zero_seed_key_is_the_one_python_cryptography_computes_from_docs_FORMATS()
    {
        // Computed with Debian's python3-cryptography from the signature base of docs/FORMATS.md section 13.
        using var key = FixedKey();

        var headers = HttpMessageSignature.Sign("GET", Target, Now, "plant-7", key);

        key.KeyId.ShouldBe("139e3940e64b5491722088d9a0d741628fc826e09475d341a780acde3c4b8070");
        headers.Signature.ShouldBe("sig1=:cuz4eOej3fhvJWIEafaobxiDN3qPHQGByyuiE6jTwpaWXz0TI9cPNhOdVryObw1zx2ft0euFqkFFr0kMp623Bg==:");
    }

    [Fact]
    public void Signature_does_not_verify_for_another_target()
    {
        using var key = FixedKey();
        var read = Read(HttpMessageSignature.Sign("GET", Target, Now, "plant-7", key));

        HttpMessageSignature.Verify(read, "GET", Target.AbsoluteUri.Replace("aaaa", "aaab"), key.PublicKey.Span, Now, Skew)
            .ShouldNotBeNull().ShouldContain("does not match");
    }

    [Fact]
    public void Signature_does_not_verify_for_another_key()
    {
        using var key = FixedKey();
        using var other = Ed25519KeyPair.Generate();
        var read = Read(HttpMessageSignature.Sign("GET", Target, Now, "plant-7", key));

        HttpMessageSignature.Verify(read, "GET", Target.AbsoluteUri, other.PublicKey.Span, Now, Skew).ShouldNotBeNull();
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void Signature_created_more_than_the_skew_away_is_refused_as_stale(int seconds)
    {
        using var key = FixedKey();
        var read = Read(HttpMessageSignature.Sign("GET", Target, Now.AddSeconds(seconds), "plant-7", key));

        HttpMessageSignature.Verify(read, "GET", Target.AbsoluteUri, key.PublicKey.Span, Now, Skew)
            .ShouldNotBeNull().ShouldContain("clock");
    }

    [Fact]
    public void Signature_created_within_the_skew_verifies()
    {
        using var key = FixedKey();
        var read = Read(HttpMessageSignature.Sign("GET", Target, Now.AddSeconds(-299), "plant-7", key));

        HttpMessageSignature.Verify(read, "GET", Target.AbsoluteUri, key.PublicKey.Span, Now, Skew).ShouldBeNull();
    }

    [Theory]
    [InlineData(null, "sig1=:AAAA:")]
    [InlineData("sig1=(\"@method\");created=1;keyid=\"g/k\";alg=\"ed25519\"", "sig1=:AAAA:")]
    [InlineData("sig1=(\"@method\" \"@target-uri\");created=1800000000;keyid=\"plant-7\";alg=\"ed25519\"", "sig1=:AAAA:")]
    [InlineData("sig1=(\"@method\" \"@target-uri\");created=1800000000;keyid=\"plant-7/x\";alg=\"rsa-pss-sha512\"", "sig1=:AAAA:")]
    public void Malformed_signature_input_is_refused_with_a_reason(string? input, string signature)
    {
        HttpMessageSignature.TryRead(input, signature, out var reason).ShouldBeNull();
        reason.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Signature_that_is_not_64_bytes_of_base64_is_refused_with_a_reason()
    {
        using var key = FixedKey();
        var headers = HttpMessageSignature.Sign("GET", Target, Now, "plant-7", key);

        HttpMessageSignature.TryRead(headers.SignatureInput, "sig1=:AAAA:", out var reason).ShouldBeNull();
        reason.ShouldNotBeNull().ShouldContain("64-byte");
        HttpMessageSignature.TryRead(headers.SignatureInput, headers.Signature.Trim(':'), out _).ShouldBeNull();
    }

    private static SignedRequest Read(SignatureHeaders headers) =>
        HttpMessageSignature.TryRead(headers.SignatureInput, headers.Signature, out var reason).ShouldNotBeNull(reason);
}
