using Federation.Contracts.Tasks;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using Federation.Aggregator.Tests.Api;
using Federation.Aggregator.Tests;
using Federation.Audit.Bundles;
using Federation.Audit.History;
using Federation.Audit.Transparency;
using Federation.Cli.Audit;
using Federation.Contracts.Events;
using Federation.Coordination.History;
using Federation.Coordination.Transparency;
using Federation.EventStore;
using Federation.Learning.Tensors;
using Federation.Trust.Transparency;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>The key history in the bundle: keys come from the key events, judged at each signed event's place in the log.</summary>
public sealed partial class AuditTests
{
    private const string Enrolled = "federation.gateway-key-enrolled.v1";
    private const string Revoked = "federation.gateway-key-revoked.v1";

    [Fact]
    public async Task A_bundle_exported_after_a_revocation_verifies_and_shows_what_was_signed_before_it()
    {
        var (code, output) = await fixture.AuditAsync($"verify {fixture.Bundle} --log-key {fixture.LogKey}");

        code.ShouldBe(0, output);
        File.Exists(Path.Combine(fixture.Bundle, AuditBundle.GatewaysFile)).ShouldBeFalse();
        var report = new BundleVerifier(fixture.Bundle, fixture.LogKey).Verify();
        var revoked = report.RevokedKeys.ShouldHaveSingleItem();
        revoked.GatewayId.ShouldBe(fixture.Factory.Second.Id);
        revoked.KeyId.ShouldBe(fixture.Factory.Second.Key.KeyId);
        revoked.Reason.ShouldBe(AuditFixture.RevocationReason);
        revoked.Position.ShouldBe(LineOf(fixture.Bundle, Revoked));
        revoked.SignedBefore.ShouldBe(AcceptedLinesOf(fixture.Bundle, fixture.Factory.Second.Id));
        revoked.SignedBefore.Count.ShouldBe(2);
        output.ShouldContain($"key {revoked.KeyId} of factory-2 revoked at");
        output.ShouldContain($"2 signed events (positions {string.Join(", ", revoked.SignedBefore)}) signed before revocation, still valid");
    }

    [Theory]
    [InlineData(60)]
    [InlineData(-60)]
    public async Task A_forged_bundle_with_a_contribution_accepted_after_its_keys_revocation_fails_at_that_position(int secondsAfterRevocation)
    {
        // Even whoever holds the log key cannot add one: a contribution after the revocation in the log is refused,
        // whether its receipt time is after the revocation or backdated before it.
        var bundle = fixture.CopyOfBundle();
        var revocation = LineOf(bundle, Revoked);
        var revokedAt = JsonDocument.Parse(AuditBundle.ParseEvent(File.ReadLines(Path.Combine(bundle, AuditBundle.EventsFile)).ElementAt((int)revocation - 1)).Data)
            .RootElement.GetProperty("revokedAt").GetDateTimeOffset();
        var second = fixture.Factory.Second;
        var payload = SafeTensors.Write(TestGateway.Update(0.75f));
        var submitted = second.Contribute(payload, round: 2, samples: 10, sequence: 1000);
        var forged = new ContributionAccepted(2, second.Id, second.Key.KeyId, Sha256Hex.Of(payload), payload.Length, 10, 1000, TestGateway.PolicySha256,
            submitted.Manifest, submitted.Signature, revokedAt.AddSeconds(secondsAfterRevocation));
        using var forger = Ed25519KeyPair.Generate();
        var forgerKey = AppendAndResign(bundle, forged, forger);

        var report = new BundleVerifier(bundle, forgerKey).Verify();
        var (code, output) = await fixture.AuditAsync($"verify {bundle} --log-key {forgerKey}");

        code.ShouldBe(1);
        report.RootMatches.ShouldBeTrue();
        var position = report.EventsChecked;
        var finding = report.Findings.Where(finding => finding.Where == $"events.jsonl line {position} (position {position}), field data.keyId").ShouldHaveSingleItem();
        finding.Problem.ShouldStartWith("revoked-key");
        finding.Problem.ShouldContain($"position {revocation}");
        output.ShouldContain($"✗ events.jsonl line {position} (position {position}), field data.keyId: revoked-key");
    }

    [Fact]
    public async Task A_changed_byte_in_a_key_events_public_key_is_named_and_that_gateways_signatures_cannot_be_checked()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Enrolled);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "publicKey", value => value + 10, ChangeBase64);

        var (code, output, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding => finding.Check == 2 && finding.Where == $"events.jsonl line {line}" && finding.Problem.Contains($"is not event {line} as the log signed it"));
        var keyFinding = report.Findings.Where(finding => finding.Check == 3).ShouldHaveSingleItem();
        keyFinding.Where.ShouldBe($"events.jsonl line {line} (position {line}), field data.publicKey");
        keyFinding.Problem.ShouldContain("hashes to key id");
        report.Findings.Where(finding => finding.Check == 4).ShouldNotBeEmpty();
        report.Findings.Where(finding => finding.Check == 4).ShouldAllBe(finding => finding.Problem.Contains($"whose key event at position {line} is invalid"));
        output.ShouldContain($"✗ events.jsonl line {line} (position {line}), field data.publicKey: hashes to key id");
    }

    [Fact]
    public async Task A_changed_revocation_time_breaks_the_root_and_is_pinpointed()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Revoked);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "revokedAt", value => value + 3, ChangeDigit);

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding => finding.Where == $"events.jsonl line {line}" && finding.Problem.Contains($"is not event {line} as the log signed it"));
    }

    [Fact]
    public async Task An_older_bundle_with_gateways_json_verifies_only_when_it_says_what_the_key_events_say()
    {
        var bundle = fixture.CopyOfBundle();
        var served = await fixture.Factory.ClientWith(AggregatorApiFactory.AuditorToken).GetByteArrayAsync("/api/gateways");
        var path = Path.Combine(bundle, AuditBundle.GatewaysFile);
        await File.WriteAllBytesAsync(path, served);

        (await VerifyAsync(bundle)).Code.ShouldBe(0);

        ChangeOneByte(bundle, AuditBundle.GatewaysFile, 1, "publicKey", value => value + 10, ChangeBase64);
        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Where.ShouldBe("gateways.json entry 1");
        finding.Problem.ShouldContain("but the key events say");
    }

    [Fact]
    public async Task Provenance_shows_policy_sequence_key_signature_position_and_a_later_revocation()
    {
        foreach (var source in new[] { "", $" --bundle {fixture.Bundle}" })
        {
            var (code, output) = await fixture.AuditAsync($"provenance --model-version 1{source}");

            code.ShouldBe(0, output);
            var accepted = AcceptedLinesOf(fixture.Bundle, fixture.Factory.Second.Id)[0];
            var contribution = JsonDocument.Parse(AuditBundle.ParseEvent(File.ReadLines(Path.Combine(fixture.Bundle, AuditBundle.EventsFile)).ElementAt((int)accepted - 1)).Data).RootElement;
            output.ShouldContain($"position   {accepted} (round 1");
            output.ShouldContain($"policy     {TestGateway.PolicySha256}");
            output.ShouldContain($"sequence   {contribution.GetProperty("sequence").GetInt64()}");
            output.ShouldContain($"key        {fixture.Factory.Second.Key.KeyId}: signed before revocation (key revoked");
            output.ShouldContain($"at position {LineOf(fixture.Bundle, Revoked)}: {AuditFixture.RevocationReason})");
            output.ShouldContain($"key        {fixture.Factory.First.Key.KeyId}: valid; key rotated away later");
            output.ShouldContain($"signature  {contribution.GetProperty("signature").GetString()} verified");
            output.ShouldNotContain("DOES NOT VERIFY", Case.Sensitive);
            output.ShouldNotContain("NOT VALID AT RECEIPT", Case.Sensitive);
        }
    }

    [Fact]
    public async Task Everything_one_key_signed_is_listed_with_the_keys_life()
    {
        var key = fixture.Factory.Second.Key.KeyId;
        foreach (var source in new[] { "", $" --bundle {fixture.Bundle}" })
        {
            var (code, output) = await fixture.AuditAsync($"contributions --key {key}{source}");

            code.ShouldBe(0, output);
            output.ShouldContain($"Key {key} of gateway factory-2: enrolled");
            output.ShouldContain($"revoked");
            output.ShouldContain(AuditFixture.RevocationReason);
            output.ShouldContain(": bad-signature: "); // the round-2 attempt signed with factory-1's key names this key id
            output.ShouldContain(": revoked-key: ");
            output.Split('\n').Count(text => text.StartsWith("accepted  factory-2", StringComparison.Ordinal)).ShouldBe(2);
            output.ShouldNotContain("accepted  factory-1");
        }
    }

    [Fact]
    public async Task Contributions_needs_exactly_one_of_gateway_or_key()
    {
        var neither = await fixture.RunAsync("audit contributions");
        var both = await fixture.RunAsync($"audit contributions --gateway factory-1 --key {fixture.Factory.First.Key.KeyId}");

        foreach (var run in new[] { neither, both })
        {
            run.Code.ShouldBe(2);
            run.Error.ShouldContain("either --gateway ID or --key KEYID");
            run.Output.ShouldBeEmpty();
        }
    }

    private static List<long> AcceptedLinesOf(string bundle, string gatewayId) =>
        [.. File.ReadLines(Path.Combine(bundle, AuditBundle.EventsFile))
            .Select(AuditBundle.ParseEvent)
            .Where(recorded => recorded.Type == Accepted && EventHistory.Deserialize(recorded) is ContributionAccepted accepted && accepted.GatewayId == gatewayId)
            .Select(recorded => recorded.Position)];

    /// <summary>Appends <paramref name="forged"/> as the next event (in <paramref name="stream"/>, round-2 by default) and signs a new checkpoint with <paramref name="forger"/>; returns its verifier key.</summary>
    private string AppendAndResign(string bundle, IFederationEvent forged, Ed25519KeyPair forger, string? stream = null, long streamVersion = 99)
    {
        var path = Path.Combine(bundle, AuditBundle.EventsFile);
        var lines = File.ReadAllLines(path).ToList();
        var data = EventHistory.ToEventData(forged);
        var stored = new RecordedEvent(lines.Count + 1, stream ?? EventStreams.Round(TaskIds.Default, 2), streamVersion, data.EventId, data.Type, data.Data, data.Metadata, DateTimeOffset.UtcNow);
        lines.Add(JsonSerializer.Serialize(stored, AuditBundle.EventJson));
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var tree = new MerkleTree();
        foreach (var line in lines)
        {
            tree.Append(EventLeaf.Bytes(AuditBundle.ParseEvent(line)));
        }

        File.WriteAllLines(Path.Combine(bundle, AuditBundle.LeafHashesFile), Enumerable.Range(0, lines.Count).Select(index => Convert.ToHexStringLower(tree.LeafHash(index))));
        var signer = new NoteSigner(NoteVerifier.Parse(fixture.LogKey).Name, forger);
        File.WriteAllText(Path.Combine(bundle, AuditBundle.CheckpointFile), new Checkpoint(signer.Name, tree.Size, tree.RootHash()).Sign(signer), new UTF8Encoding(false));
        return signer.Verifier.VerifierKey;
    }
}
