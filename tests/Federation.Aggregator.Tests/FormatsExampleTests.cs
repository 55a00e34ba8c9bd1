using System.Text;
using Federation.Audit.Contributions;
using Federation.Audit.Registry;
using Federation.Audit;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts;
using Federation.Coordination.Contributions;
using Federation.Coordination.Enrolment;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>
/// The worked example in docs/FORMATS.md, recomputed: if the code's bytes change, this fails
/// and the document must change with it.
/// </summary>
public sealed class FormatsExampleTests
{
    // RFC 8032 section 7.1, TEST 1: a published key, so anyone can reproduce the signature.
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    // The example names the SHA-256 of an empty file as its policy hash, a value anyone can recompute.
    private const string EmptyFileSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static byte[] ExamplePayload() => SafeTensors.Write(new TensorSet(
    [
        new Tensor("linear.bias", [2], [0.5f, -0.25f]),
        new Tensor("linear.weight", [2, 2], [1f, 0f, 0f, 1f]),
    ]));

    private static ContributionManifest ExampleManifest(Ed25519KeyPair key, byte[] payload) => new(
        DocumentTypes.ContributionManifest, "factory-1", key.KeyId, 1,
        "0000000000000000000000000000000000000000000000000000000000000000",
        Sha256Hex.Of(payload), payload.Length, 1000, Sequence: 1, PolicySha256: EmptyFileSha256, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    // The expected values were computed independently in Python (hashlib, struct, json and the
    // cryptography package's Ed25519), as docs/FORMATS.md shows an auditor doing.
    public void The_documented_example_has_the_documented_bytes()
    {
        using var key = Ed25519KeyPair.FromSeed(Seed);
        var payload = ExamplePayload();
        var canonical = JsonCanonicalizer.Serialize(ExampleManifest(key, payload), FederationJson.Options);

        Convert.ToHexStringLower(payload).ShouldBe("88000000000000007b226c696e6561722e62696173223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d2c226c696e6561722e776569676874223a7b226474797065223a22463332222c227368617065223a5b322c325d2c22646174615f6f666673657473223a5b382c32345d7d7d202020200000003f000080be0000803f00000000000000000000803f");
        key.KeyId.ShouldBe("21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
        Encoding.UTF8.GetString(canonical).ShouldBe("""
            {"baseModelSha256":"0000000000000000000000000000000000000000000000000000000000000000","createdAt":"2026-11-22T09:00:00+00:00","gatewayId":"factory-1","keyId":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9","payloadBytes":168,"payloadSha256":"fd94558a2cb84e39656d8b872df998328836921cbce1014dbf081d3d7a2a172c","policySha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","round":1,"sampleCount":1000,"sequence":1,"type":"federation.contribution-manifest.v1"}
            """);
        Convert.ToHexStringLower(key.Sign(canonical)).ShouldBe("7c990f7313623abc65108dd5ad15d8d5845067da874192cfeeadca830934aaaa87ea1c2f06f238d43c79053fc48e2bf2be12446da3f46a02daf7e1a9e28b370d");
    }

    [Fact]
    public void The_documented_example_passes_the_aggregators_checks()
    {
        using var key = Ed25519KeyPair.FromSeed(Seed);
        var payload = ExamplePayload();
        var canonical = JsonCanonicalizer.Serialize(ExampleManifest(key, payload), FederationJson.Options);
        var contribution = new ContributionSubmitted(Encoding.UTF8.GetString(canonical), Convert.ToBase64String(key.Sign(canonical)), payload);

        var registry = GatewayRegistry.Empty.Apply(ExampleEnrolment(key));
        var result = ContributionChecks.Check(contribution, registry, new DateTimeOffset(2026, 11, 22, 9, 0, 1, TimeSpan.Zero));

        result.Rejection.ShouldBeNull();
    }

    [Fact]
    public void The_documented_key_enrolment_is_the_stored_event()
    {
        using var key = Ed25519KeyPair.FromSeed(Seed);

        var stored = Federation.Audit.History.EventHistory.ToEventData(ExampleEnrolment(key));

        stored.Type.ShouldBe("federation.gateway-key-enrolled.v1");
        stored.Data.ShouldBe("""
            {"allowedPolicies":["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],"enrolledAt":"2026-11-22T08:00:00+00:00","enrolledBy":"configuration","gatewayId":"factory-1","keyId":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9","publicKey":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
            """);
    }

    [Fact]
    public void The_documented_round_opening_is_the_stored_event()
    {
        var opened = new RoundOpened(1, 0, new string('0', 64), "fedavg", new Dictionary<string, double>(), 10, 1, ["factory-1"],
            new TrainingPlan(Epochs: 1, BatchSize: 32, LearningRate: 0.1, Seed: 42, ProximalMu: 0),
            new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));

        var stored = Federation.Audit.History.EventHistory.ToEventData(opened);

        stored.Type.ShouldBe("federation.round-opened.v1");
        stored.Data.ShouldBe("""
            {"baseModelSha256":"0000000000000000000000000000000000000000000000000000000000000000","baseModelVersion":0,"deadline":"2026-11-22T10:00:00+00:00","invited":["factory-1"],"maxUpdateNorm":10,"minParticipants":1,"openedAt":"2026-11-22T09:00:00+00:00","round":1,"strategy":"fedavg","strategyParameters":{},"training":{"batchSize":32,"epochs":1,"learningRate":0.1,"proximalMu":0,"seed":42}}
            """);
    }

    [Fact]
    public void The_documented_verifier_key_splits_at_its_first_two_plus_signs()
    {
        const string VerifierKey = "federation.example/log+5515ed8e+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

        var verifier = Federation.Trust.Transparency.NoteVerifier.Parse(VerifierKey);

        verifier.Name.ShouldBe("federation.example/log");
        verifier.KeyHash.ShouldBe(0x5515ed8eu);
        Convert.ToHexStringLower(Convert.FromBase64String(VerifierKey.Split('+', 3)[2])).ShouldBe("01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    }

    private static GatewayKeyEnrolled ExampleEnrolment(Ed25519KeyPair key) => new(
        "factory-1", key.KeyId, Convert.ToBase64String(key.PublicKey.Span), [EmptyFileSha256], "configuration", new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
}
