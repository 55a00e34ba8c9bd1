using System.Text.Json;
using Federation.Aggregator.Tests;
using Federation.Audit;
using Federation.Audit.Bundles;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>What docs/FORMATS.md states and the verifier now checks directly: stream versions, key event times, readable parse errors.</summary>
public sealed partial class AuditTests
{
    [Fact]
    public void A_key_event_backdated_before_events_already_in_the_log_is_a_finding_but_what_was_accepted_before_it_stays_valid()
    {
        // Given a revocation appended at the end of the log whose revokedAt lies before the first gateway's accepted contributions
        var bundle = fixture.CopyOfBundle();
        var first = fixture.Factory.First;
        var history = AuditBundle.ReadHistory(bundle);
        var accepted = history.Where(entry => entry.Event is ContributionAccepted contribution && contribution.GatewayId == first.Id).ToList();
        var firstAccepted = (ContributionAccepted)accepted[0].Event;
        var revokedAt = firstAccepted.ReceivedAt.AddMinutes(-1);
        var stream = EventStreams.Gateway(first.Id);
        var version = history.Count(entry => entry.Recorded.StreamId == stream) + 1;
        using var forger = Ed25519KeyPair.Generate();
        var forgerKey = AppendAndResign(bundle, new GatewayKeyRevoked(first.Id, firstAccepted.KeyId, "backdated", "operator", revokedAt), forger, stream, version);

        // When it is verified
        var report = new BundleVerifier(bundle, forgerKey).Verify();

        // Then the backdating is named with the position, the key and both times, and nothing else is wrong
        var position = report.EventsChecked;
        var latest = history.Select(entry => entry.Event).OfType<ModelVersionPublished>().Max(published => published.PublishedAt);
        report.RootMatches.ShouldBeTrue();
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Check.ShouldBe(3);
        finding.Where.ShouldBe($"events.jsonl line {position} (position {position}), field data.revokedAt");
        finding.Problem.ShouldContain(firstAccepted.KeyId);
        finding.Problem.ShouldContain(revokedAt.ToString("O"));
        finding.Problem.ShouldContain("the time of the event at position ");
        finding.Problem.ShouldContain("backdated");
        finding.Problem.ShouldContain("Log order wins");
        report.Findings.ShouldNotContain(other => other.Check == 4);
        latest.ShouldBeGreaterThan(revokedAt);
        var revoked = report.RevokedKeys.Single(key => key.KeyId == firstAccepted.KeyId);
        revoked.Position.ShouldBe(position);
        revoked.SignedBefore.ShouldContain(accepted[0].Recorded.Position);
    }

    [Fact]
    public void A_gap_in_a_streams_versions_is_named_by_stream_though_the_root_matches()
    {
        var bundle = fixture.CopyOfBundle();
        var first = fixture.Factory.First;
        var stream = EventStreams.Gateway(first.Id);
        var expected = AuditBundle.ReadHistory(bundle).Count(entry => entry.Recorded.StreamId == stream) + 1;
        using var forger = Ed25519KeyPair.Generate();
        var forgerKey = AppendAndResign(bundle, new GatewayPoliciesAllowed(first.Id, [TestGateway.PolicySha256], "operator", DateTimeOffset.UtcNow), forger, stream, expected + 1);

        var report = new BundleVerifier(bundle, forgerKey).Verify();

        var position = report.EventsChecked;
        report.RootMatches.ShouldBeTrue();
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Where.ShouldBe($"events.jsonl line {position} (position {position}), field streamVersion");
        finding.Problem.ShouldContain($"is {expected + 1}");
        finding.Problem.ShouldContain($"stream '{stream}'");
        finding.Problem.ShouldContain($"so {expected} was expected");
    }

    [Theory]
    [InlineData("{\"extra\":1,", "'extra'", "events.jsonl line 1, field extra")]
    [InlineData("{\"position\":\"one\",", "the value is not", "events.jsonl line 1, field position")]
    public void A_line_that_is_not_a_stored_event_is_named_by_line_and_member_without_parser_text(string start, string said, string where)
    {
        var bundle = fixture.CopyOfBundle();
        var path = Path.Combine(bundle, AuditBundle.EventsFile);
        var lines = File.ReadAllLines(path);
        lines[0] = start + lines[0][(start.StartsWith("{\"position\"", StringComparison.Ordinal) ? "{\"position\":1,".Length : 1)..];
        File.WriteAllLines(path, lines);

        var report = new BundleVerifier(bundle, fixture.LogKey).Verify();
        var error = Should.Throw<AuditException>(() => AuditBundle.ReadHistory(bundle));

        var finding = report.Findings.First(finding => finding.Where.StartsWith("events.jsonl line 1", StringComparison.Ordinal));
        finding.Where.ShouldBe(where);
        foreach (var text in new[] { finding.Problem, error.Message })
        {
            text.ShouldContain(said);
            text.ShouldNotContain("LineNumber");
            text.ShouldNotContain("Path: $");
            text.ShouldNotContain(".NET");
        }

        error.Message.ShouldContain(where);
    }
}
