using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Text;
using Federation.Aggregator.Tests.Api;
using Federation.Aggregator.Tests;
using Federation.Audit.Bundles;
using Federation.Cli.Audit;
using Federation.Trust.Transparency;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// An auditor exports the history of a real aggregator, verifies it offline, and re-aggregates its
/// versions; every single-byte change to the bundle is caught and named by file, line and field.
/// </summary>
public sealed partial class AuditTests(AuditFixture fixture) : IClassFixture<AuditFixture>
{
    private const string Accepted = "federation.contribution-accepted.v1";

    [Fact]
    public async Task An_untouched_bundle_verifies_against_the_pinned_log_key()
    {
        var (code, output) = await fixture.AuditAsync($"verify {fixture.Bundle} --log-key {fixture.LogKey}");

        code.ShouldBe(0, output);
        output.ShouldContain("VERIFIED");
        output.ShouldNotContain("trust on first use)");
        var report = new BundleVerifier(fixture.Bundle, fixture.LogKey).Verify();
        report.Findings.ShouldBeEmpty();
        report.RootMatches.ShouldBeTrue();
        report.LogKeyPinned.ShouldBeTrue();
        report.EventsChecked.ShouldBe(report.CheckpointSize!.Value);
        report.ContributionsChecked.ShouldBe(4);
        report.SignaturesChecked.ShouldBe(5); // 4 contribution manifests and 1 evaluation report
        report.SignaturesVerified.ShouldBe(5);
        report.ModelVersions.ShouldBe(3);
        report.ModelVersionsTraced.ShouldBe(2);
        report.PayloadsChecked.ShouldBe(9); // 3 models, 2 strategy states, 4 updates
        report.KeyEvents.ShouldBe(4); // 2 enrolments, 1 rotation, 1 revocation
        report.Keys.ShouldBe(3);
        report.Gateways.ShouldBe(2);
    }

    [Fact]
    public void The_bundle_holds_the_checkpoint_and_exactly_the_events_it_covers()
    {
        var checkpointText = File.ReadAllText(Path.Combine(fixture.Bundle, AuditBundle.CheckpointFile));
        var verifier = NoteVerifier.Parse(fixture.LogKey);
        var checkpoint = Checkpoint.OpenSigned(checkpointText, verifier.Name, [verifier]);
        var lines = File.ReadAllLines(Path.Combine(fixture.Bundle, AuditBundle.EventsFile));

        lines.Length.ShouldBe((int)checkpoint.Size);
        lines.Select(line => AuditBundle.ParseEvent(line).Position).ShouldBe(Enumerable.Range(1, lines.Length).Select(position => (long)position));
        File.ReadAllLines(Path.Combine(fixture.Bundle, AuditBundle.LeafHashesFile)).Length.ShouldBe(lines.Length);
        File.ReadAllText(Path.Combine(fixture.Bundle, AuditBundle.LogKeyFile)).Trim().ShouldBe(fixture.LogKey);
        fixture.ExportOutput.ShouldContain($"Exported {checkpoint.Size} events");
    }

    [Fact]
    public async Task Without_a_pinned_key_the_bundle_is_trusted_on_first_use_with_a_warning()
    {
        var (code, output) = await fixture.AuditAsync($"verify {fixture.Bundle}");

        code.ShouldBe(0, output);
        output.ShouldContain("warning: No --log-key given");
        output.ShouldContain("trust on first use");
    }

    [Fact]
    public async Task A_bundle_without_payloads_verifies_and_says_payloads_were_not_checked()
    {
        var (code, output) = await fixture.AuditAsync($"verify {fixture.BundleWithoutPayloads} --log-key {fixture.LogKey}");

        code.ShouldBe(0, output);
        output.ShouldContain("not in the bundle");
        Directory.Exists(Path.Combine(fixture.BundleWithoutPayloads, AuditBundle.PayloadsFolder)).ShouldBeFalse();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Every_version_reaggregated_from_the_bundle_has_its_published_hash(int version)
    {
        var output = Path.Combine(Path.GetTempPath(), $"reaggregated-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, text) = await fixture.AuditAsync($"reaggregate --model-version {version} --bundle {fixture.Bundle} --out {output}");

            code.ShouldBe(0, text);
            text.ShouldContain("confirmed");
            var published = await fixture.Factory.ClientWith(AggregatorApiFactory.AuditorToken).GetFromJsonAsync<JsonElement>($"/api/models/{version}");
            Sha256Hex.Of(await File.ReadAllBytesAsync(output)).ShouldBe(published.GetProperty("modelSha256").GetString());
            if (version == 2)
            {
                text.ShouldContain("continuing from the state saved with v1");
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task A_version_reaggregated_against_the_api_is_confirmed()
    {
        var output = Path.Combine(Path.GetTempPath(), $"reaggregated-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, text) = await fixture.AuditAsync($"reaggregate --model-version 2 --out {output}");

            code.ShouldBe(0, text);
            text.ShouldContain("confirmed");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task Reaggregating_from_a_changed_contribution_payload_fails_and_shows_both_hashes()
    {
        var bundle = fixture.CopyOfBundle();
        var payload = FirstAccepted(bundle).GetProperty("payloadSha256").GetString()!;
        var path = AuditBundle.PayloadPath(bundle, payload);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var (code, text) = await fixture.AuditAsync($"reaggregate --model-version 1 --bundle {bundle} --out {Path.Combine(bundle, "v1.safetensors")}");

        code.ShouldBe(1, text);
        text.ShouldContain($"payloads/{payload} hashes to");
        text.ShouldContain("NOT confirmed");
        text.ShouldContain("published  ");
        text.ShouldContain("recomputed ");
    }

    [Fact]
    public async Task A_changed_receivedAt_digit_breaks_the_root_and_is_pinpointed_to_its_line()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Accepted);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "receivedAt", value => value + 3, ChangeDigit);

        var (code, output, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding => finding.Check == 2 && finding.Where.StartsWith("events.jsonl lines 1–") && finding.Problem.Contains("not the history the log signed"));
        report.Findings.ShouldContain(finding => finding.Where == $"events.jsonl line {line}" && finding.Problem.Contains($"is not event {line} as the log signed it"));
        report.Findings.Count.ShouldBe(2, output);
    }

    [Fact]
    public async Task A_changed_sample_count_is_named_by_position_and_field()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Accepted);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "sampleCount", value => value, ChangeDigit);

        var (code, output, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding =>
            finding.Check == 4 && finding.Where == $"events.jsonl line {line} (position {line}), field data.sampleCount" && finding.Problem.Contains("but the signed manifest says 300"));
        output.ShouldContain($"events.jsonl line {line} (position {line}), field data.sampleCount: is 400, but the signed manifest says 300.");
    }

    [Fact]
    public async Task A_changed_signature_is_named_by_position_and_field()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Accepted);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "signature", value => value + 10, ChangeBase64);

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding =>
            finding.Check == 4 && finding.Where == $"events.jsonl line {line} (position {line}), field data.signature" && finding.Problem.StartsWith("does not verify"));
        report.SignaturesVerified.ShouldBe(report.SignaturesChecked - 1);
    }

    [Fact]
    public async Task A_changed_payload_hash_in_an_accepted_event_is_named_by_position_and_field()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, Accepted);
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "payloadSha256", value => value, ChangeHex);

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldContain(finding =>
            finding.Check == 4 && finding.Where == $"events.jsonl line {line} (position {line}), field data.payloadSha256" && finding.Problem.Contains("but the signed manifest says"));
    }

    [Fact]
    public async Task Event_data_that_is_no_longer_canonical_is_caught_though_its_leaf_is_unchanged()
    {
        var bundle = fixture.CopyOfBundle();
        var path = Path.Combine(bundle, AuditBundle.EventsFile);
        var lines = File.ReadAllLines(path);
        lines[0] = lines[0].Replace("\"data\":\"{", "\"data\":\"{ ", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.RootMatches.ShouldBeTrue();
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Where.ShouldBe("events.jsonl line 1 (position 1), field data");
        finding.Problem.ShouldContain("not in RFC 8785 canonical form");
    }

    [Fact]
    public async Task A_changed_checkpoint_root_fails_at_the_checkpoint()
    {
        var bundle = fixture.CopyOfBundle();
        ChangeCheckpoint(bundle, lines => (2, 0));

        var (code, output, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings[0].Where.ShouldBe("checkpoint.txt");
        report.Findings[0].Problem.ShouldContain("invalid signature");
        output.ShouldContain("✗ checkpoint.txt: is not a note validly signed by the log key");
    }

    [Fact]
    public async Task A_changed_checkpoint_signature_fails_at_the_checkpoint()
    {
        var bundle = fixture.CopyOfBundle();
        ChangeCheckpoint(bundle, lines => (lines.Length - 1, lines[^1].LastIndexOf(' ') + 20));

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        report.Findings.ShouldHaveSingleItem().Where.ShouldBe("checkpoint.txt");
        report.Findings[0].Problem.ShouldContain("invalid signature");
    }

    [Fact]
    public async Task A_changed_payload_file_is_named()
    {
        var bundle = fixture.CopyOfBundle();
        var payload = FirstAccepted(bundle).GetProperty("payloadSha256").GetString()!;
        var path = AuditBundle.PayloadPath(bundle, payload);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^3] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var (code, _, report) = await VerifyAsync(bundle);

        code.ShouldBe(1);
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Where.ShouldBe($"payloads/{payload}");
        finding.Problem.ShouldContain("not to its name");
    }

    [Fact]
    public async Task A_wrong_pinned_log_key_fails_at_the_checkpoint()
    {
        using var other = Ed25519KeyPair.Generate();
        var wrongKey = new NoteSigner(NoteVerifier.Parse(fixture.LogKey).Name, other).Verifier.VerifierKey;

        var (code, output) = await fixture.AuditAsync($"verify {fixture.Bundle} --log-key {wrongKey}");

        code.ShouldBe(1, output);
        output.ShouldContain("✗ checkpoint.txt: is not a note validly signed by the log key");
        output.ShouldContain("no verifiable signatures");
        output.ShouldContain("holds another key");
    }

    [Fact]
    public async Task Provenance_names_every_contribution_its_signature_and_position_and_the_rounds_rejections()
    {
        var (code, output) = await fixture.AuditAsync("provenance --model-version 2");
        var (bundleCode, fromBundle) = await fixture.AuditAsync($"provenance --model-version 2 --bundle {fixture.Bundle}");

        code.ShouldBe(0, output);
        bundleCode.ShouldBe(0, fromBundle);
        foreach (var text in new[] { output, fromBundle })
        {
            text.ShouldContain("Model v2");
            text.ShouldContain("strategy fedadam");
            text.ShouldContain("eta=0.05");
            text.ShouldContain("factory-1");
            text.ShouldContain("factory-2");
            text.ShouldContain("verified");
            text.ShouldNotContain("DOES NOT VERIFY", Case.Sensitive);
            text.ShouldContain("bad-signature");
        }
    }

    [Fact]
    public async Task The_contributions_of_one_gateway_show_what_was_accepted_rejected_and_used()
    {
        var (code, output) = await fixture.AuditAsync($"contributions --gateway factory-2 --bundle {fixture.Bundle}");

        code.ShouldBe(0, output);
        output.ShouldContain(": bad-signature: ");
        output.ShouldContain("used in v1");
        output.ShouldContain("used in v2");
    }

    [Fact]
    public async Task The_api_serves_the_enrolled_keys_and_any_payload_by_hash_to_auditors()
    {
        var auditor = fixture.Factory.ClientWith(AggregatorApiFactory.AuditorToken);
        var gateways = await auditor.GetFromJsonAsync<JsonElement>("/api/gateways");
        var model = (await auditor.GetFromJsonAsync<JsonElement>("/api/models/0")).GetProperty("modelSha256").GetString()!;
        var payload = await auditor.GetAsync($"/api/payloads/{model}");

        gateways.GetArrayLength().ShouldBe(3); // factory-1's first and rotated keys, factory-2's revoked key
        gateways[0].GetProperty("id").GetString().ShouldBe(fixture.Factory.First.Id);
        gateways[0].GetProperty("keyId").GetString().ShouldBe(fixture.Factory.First.Key.KeyId);
        gateways[0].GetProperty("publicKey").GetString().ShouldBe(Convert.ToBase64String(fixture.Factory.First.Key.PublicKey.Span));
        payload.StatusCode.ShouldBe(HttpStatusCode.OK);
        Sha256Hex.Of(await payload.Content.ReadAsByteArrayAsync()).ShouldBe(model);
        Sha256Hex.Of(await (await auditor.GetAsync($"/api/payloads/{model.ToUpperInvariant()}")).Content.ReadAsByteArrayAsync()).ShouldBe(model);
        (await auditor.GetAsync($"/api/payloads/{new string('0', 64)}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/payloads/not-a-hash")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await fixture.Factory.ClientWith(null).GetAsync("/api/gateways")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await fixture.Factory.ClientWith(null).GetAsync($"/api/payloads/{model}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private async Task<(int Code, string Output, AuditReport Report)> VerifyAsync(string bundle)
    {
        var (code, output) = await fixture.AuditAsync($"verify {bundle} --log-key {fixture.LogKey}");
        return (code, output, new BundleVerifier(bundle, fixture.LogKey).Verify());
    }

    private static int LineOf(string bundle, string type) =>
        File.ReadLines(Path.Combine(bundle, AuditBundle.EventsFile)).Select((line, index) => (line, index)).First(pair => AuditBundle.ParseEvent(pair.line).Type == type).index + 1;

    private static JsonElement FirstAccepted(string bundle)
    {
        var line = File.ReadLines(Path.Combine(bundle, AuditBundle.EventsFile)).First(text => AuditBundle.ParseEvent(text).Type == Accepted);
        return JsonDocument.Parse(AuditBundle.ParseEvent(line).Data).RootElement;
    }

    /// <summary>
    /// Changes exactly one byte of line <paramref name="lineNumber"/> of a bundle file: the character
    /// at <paramref name="offset"/> characters into the value of the data member <paramref name="member"/>
    /// (inside the served line, the data's quotes appear escaped as \" — or as \u0022 with a stricter encoder — and escapes are skipped).
    /// </summary>
    private static void ChangeOneByte(string bundle, string file, int lineNumber, string member, Func<int, int> offset, Func<byte, byte> change)
    {
        var path = Path.Combine(bundle, file);
        var bytes = File.ReadAllBytes(path);
        var lineStart = 0;
        for (var line = 1; line < lineNumber; line++)
        {
            lineStart = Array.IndexOf(bytes, (byte)'\n', lineStart) + 1;
        }

        var text = Encoding.ASCII.GetString(bytes);
        var value = new[] { $"\\u0022{member}\\u0022:\\u0022", $"\\u0022{member}\\u0022:", $"\\\"{member}\\\":\\\"", $"\\\"{member}\\\":", $"\"{member}\":\"" }
            .Select(marker => (marker, index: text.IndexOf(marker, lineStart, StringComparison.Ordinal)))
            .Where(found => found.index >= 0)
            .OrderBy(found => found.index)
            .Select(found => found.index + found.marker.Length)
            .First();
        var target = value + offset(0);
        while (text[target] == '\\' || text[Math.Max(value, target - 5)..target].Contains('\\'))
        {
            target++;
        }

        var before = bytes[target];
        bytes[target] = change(before);
        bytes[target].ShouldNotBe(before);
        File.WriteAllBytes(path, bytes);
    }

    private static void ChangeCheckpoint(string bundle, Func<string[], (int Line, int Column)> where)
    {
        var path = Path.Combine(bundle, AuditBundle.CheckpointFile);
        var lines = File.ReadAllText(path).Split('\n');
        var (line, column) = where(lines[..^1]);
        var characters = lines[line].ToCharArray();
        characters[column] = (char)ChangeBase64((byte)characters[column]);
        lines[line] = new string(characters);
        File.WriteAllText(path, string.Join('\n', lines));
    }

    private static byte ChangeDigit(byte digit) => digit is >= (byte)'0' and < (byte)'9' ? (byte)(digit + 1) : (byte)'1';

    private static byte ChangeHex(byte hex) => hex == (byte)'a' ? (byte)'b' : (byte)'a';

    private static byte ChangeBase64(byte character) => character == (byte)'A' ? (byte)'B' : (byte)'A';
}
