using Federation.Audit.Contributions;
using Federation.Audit;
using System.Text;
using Federation.Contracts;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Coordination.Contributions;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

public sealed class ContributionChecksTests
{
    private readonly TestGateway gateway = new("factory-1");

    private RejectionReason? ReasonFor(Federation.Contracts.Messages.ContributionSubmitted message) =>
        ContributionChecks.Check(message, TestGateway.Enrol(gateway), TestGateway.SignedAt).Rejection?.Reason;

    [Fact]
    public void An_honest_contribution_passes_every_check()
    {
        var result = ContributionChecks.Check(gateway.Contribute(TestGateway.Update()), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection.ShouldBeNull();
        result.Manifest!.GatewayId.ShouldBe("factory-1");
        result.Payload!.Layout.DescribeLayoutDifference(SafeTensorsLayout.Of(TestGateway.BaseModel)).ShouldBeNull();
    }

    [Fact]
    public void A_v2_manifest_names_its_task_and_passes_every_check()
    {
        var result = ContributionChecks.Check(gateway.Contribute(SafeTensors.Write(TestGateway.Update()), task: "press-fit"), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection.ShouldBeNull();
        result.Manifest!.Type.ShouldBe(DocumentTypes.ContributionManifestV2);
        result.Manifest.Task.ShouldBe("press-fit");
    }

    [Theory]
    [InlineData(DocumentTypes.ContributionManifest, "press-fit", "names no task")]
    [InlineData(DocumentTypes.ContributionManifestV2, null, "must name its task")]
    public void A_manifest_whose_version_and_task_disagree_is_malformed(string type, string? task, string why)
    {
        var manifest = new ContributionManifest(
            type, gateway.Id, gateway.Key.KeyId, 1, TestGateway.BaseModelSha256, new string('a', 64), 10, 100, 1, TestGateway.PolicySha256, TestGateway.SignedAt, task);
        var json = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
        var message = new Federation.Contracts.Messages.ContributionSubmitted(Encoding.UTF8.GetString(json), Convert.ToBase64String(gateway.Key.Sign(json)), new byte[10]);

        var result = ContributionChecks.Check(message, TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
        result.Rejection.Detail.ShouldContain(why);
    }

    [Fact]
    public void A_flipped_payload_byte_is_rejected_as_a_payload_hash_mismatch()
    {
        var honest = gateway.Contribute(TestGateway.Update());
        var payload = honest.Payload.ToArray();
        payload[^1] ^= 0x01;

        ReasonFor(honest with { Payload = payload }).ShouldBe(RejectionReason.PayloadHashMismatch);
    }

    [Fact]
    public void A_signature_by_another_key_is_rejected_as_a_bad_signature()
    {
        using var forger = Ed25519KeyPair.Generate();

        var forged = gateway.Contribute(SafeTensors.Write(TestGateway.Update()), signWith: forger);

        ReasonFor(forged).ShouldBe(RejectionReason.BadSignature);
    }

    [Fact]
    public void A_changed_manifest_no_longer_verifies()
    {
        var honest = gateway.Contribute(TestGateway.Update(), samples: 100);

        var inflated = honest with { Manifest = honest.Manifest.Replace("\"sampleCount\":100", "\"sampleCount\":900") };

        ReasonFor(inflated).ShouldBe(RejectionReason.BadSignature);
    }

    [Fact]
    public void A_gateway_that_is_not_enrolled_is_rejected_as_unknown()
    {
        var stranger = new TestGateway("factory-9");

        ReasonFor(stranger.Contribute(TestGateway.Update())).ShouldBe(RejectionReason.UnknownGateway);
    }

    [Fact]
    public void A_manifest_naming_another_key_is_rejected_as_an_unknown_key()
    {
        var impostor = new TestGateway("factory-1");

        var result = ContributionChecks.Check(impostor.Contribute(TestGateway.Update()), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.UnknownKey);
        result.Rejection.Detail.ShouldContain(gateway.Key.KeyId);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{}")]
    [InlineData("{\"type\":\"federation.evaluation-report.v1\"}")]
    public void A_malformed_manifest_is_rejected_with_what_is_wrong(string manifest)
    {
        var honest = gateway.Contribute(TestGateway.Update());

        var result = ContributionChecks.Check(honest with { Manifest = manifest }, TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
        result.Rejection.Detail.ShouldNotBeNullOrWhiteSpace();
        result.Manifest.ShouldBeNull();
    }

    [Fact]
    public void A_manifest_that_is_not_in_canonical_form_is_rejected()
    {
        var honest = gateway.Contribute(TestGateway.Update());

        var spaced = honest with { Manifest = honest.Manifest.Replace(",", ", ") };

        var result = ContributionChecks.Check(spaced, TestGateway.Enrol(gateway), TestGateway.SignedAt);
        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
        result.Rejection.Detail.ShouldContain("RFC 8785");
    }

    [Fact]
    public void A_manifest_with_a_duplicate_member_is_rejected_not_thrown()
    {
        var honest = gateway.Contribute(TestGateway.Update());

        var duplicated = honest with { Manifest = honest.Manifest.Replace("{\"baseModelSha256\"", "{\"round\":1,\"baseModelSha256\"") };

        var result = ContributionChecks.Check(duplicated, TestGateway.Enrol(gateway), TestGateway.SignedAt);
        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
    }

    [Fact]
    public void A_truncated_safetensors_payload_is_rejected_as_malformed_even_when_signed()
    {
        var truncated = SafeTensors.Write(TestGateway.Update())[..20];

        var result = ContributionChecks.Check(gateway.Contribute(truncated), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedPayload);
        result.Rejection.Detail.ShouldContain("safetensors");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_values_are_rejected(float value)
    {
        var update = TestGateway.Update();
        update[0].Values[2] = value;

        var result = ContributionChecks.Check(gateway.Contribute(update), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.NonFiniteValues);
        result.Rejection.Detail.ShouldContain(update[0].Name);
    }

    [Fact]
    public void An_update_stored_as_F16_is_rejected_as_a_dtype_mismatch()
    {
        // linear.bias as F16 (three 0.25 values), linear.weight as F32 zeros: a valid file, but not the base model's dtype.
        var header = """{"linear.bias":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"linear.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[6,54]}}"""u8.ToArray();
        var payload = BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(Enumerable.Repeat(new byte[] { 0x00, 0x34 }, 3).SelectMany(b => b)).Concat(new byte[48]).ToArray();

        var result = ContributionChecks.Check(gateway.Contribute(payload), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.DtypeMismatch);
        result.Rejection.Detail.ShouldContain("linear.bias");
    }

    [Fact]
    public void An_oversized_manifest_is_rejected_and_kept_only_truncated()
    {
        var honest = gateway.Contribute(TestGateway.Update());

        var result = ContributionChecks.Check(honest with { Manifest = new string('x', 1_000_000) }, TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
        result.Message.Manifest.Length.ShouldBeLessThanOrEqualTo(256);
        result.Rejection.Detail.ShouldContain("1000000 characters");
    }

    [Fact]
    public void Null_fields_from_the_bus_are_rejected_not_thrown()
    {
        var result = ContributionChecks.Check(new Federation.Contracts.Messages.ContributionSubmitted(null!, null!, null!), TestGateway.Enrol(gateway), TestGateway.SignedAt);

        result.Rejection!.Reason.ShouldBe(RejectionReason.MalformedManifest);
    }

    [Fact]
    public void A_non_positive_sample_count_is_rejected()
    {
        ReasonFor(gateway.Contribute(TestGateway.Update(), samples: 0)).ShouldBe(RejectionReason.InvalidSampleCount);
    }
}
