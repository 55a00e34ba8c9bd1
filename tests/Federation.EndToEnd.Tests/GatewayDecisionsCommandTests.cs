using Federation.Policies;
using Federation.Site.State;

namespace Federation.EndToEnd.Tests;

/// <summary><c>fedctl gateway decisions</c> over a gateway's own state folder, as factory IT reads it.</summary>
public sealed class GatewayDecisionsCommandTests : IDisposable
{
    private static readonly string PolicyHash = new('c', 64);
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"fedctl-gateway-{Guid.NewGuid():N}");
    private readonly FedctlRunner fedctl = new();

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Decisions_are_listed_newest_first_with_the_reason_of_each_refusal_and_denied_filters_them()
    {
        // Given a gateway that released round 1 and refused round 2
        var state = GatewayState.Open(directory);
        var at = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var allowed = new DecisionDraft(at, "model-update", "round 1", "factory-1-release", 3, PolicyHash, true, null, [new PolicyCheck("policy-not-expired", true, "valid")]);
        var entry = new OutboxEntry(Guid.NewGuid(), OutboxKinds.Evaluation, "{}", "sig", null, at, 0);
        state.RecordReleased(allowed, GatewayState.RoundsLedger, 1, entry, new string('d', 64), 1, null);
        var denied = allowed with
        {
            DecidedAt = at.AddHours(1), Subject = "round 2", Allowed = false, Reason = "trained on 12 samples; the policy requires at least 100",
            Checks = [new PolicyCheck("policy-not-expired", true, "valid"), new PolicyCheck("minimum-samples", false, "trained on 12 samples; the policy requires at least 100")],
        };
        state.RecordDenied(denied, GatewayState.RoundsLedger, 2);

        // When factory IT lists them, then only the refusals
        var allRun = await fedctl.RunAsync("gateway", "decisions", "--state", directory);
        var refusalsRun = await fedctl.RunAsync("gateway", "decisions", "--state", directory, "--denied");
        allRun.Code.ShouldBe(0);
        refusalsRun.Code.ShouldBe(0);
        var (all, refusals) = (allRun.Output, refusalsRun.Output);

        // Then the newest comes first, with outcome, short policy hash and the failed check's reason
        all.IndexOf("round 2", StringComparison.Ordinal).ShouldBeLessThan(all.IndexOf("round 1", StringComparison.Ordinal));
        all.ShouldContain("denied");
        all.ShouldContain("allowed");
        all.ShouldContain("cccccccccccc…");
        all.ShouldContain("minimum-samples: trained on 12 samples; the policy requires at least 100");
        refusals.ShouldContain("round 2");
        refusals.ShouldNotContain("round 1");
    }

    [Fact]
    public async Task The_outbox_lists_every_message_let_out_with_whether_it_was_sent_and_shows_the_signed_document_as_it_left()
    {
        // Given a gateway that let out a report (sent) and an update (still waiting after a failed attempt)
        var state = GatewayState.Open(directory);
        var at = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var decision = new DecisionDraft(at, "model-update", "round 1", "factory-1-release", 3, PolicyHash, true, null, []);
        var report = new OutboxEntry(Guid.NewGuid(), OutboxKinds.Evaluation, """{"modelVersion":1}""", "sig", null, at, 0);
        var update = new OutboxEntry(Guid.NewGuid(), OutboxKinds.Contribution, """{"round":2}""", "sig", [1, 2, 3], at.AddMinutes(1), 0);
        state.RecordReleased(decision, GatewayState.ModelsLedger, 1, report, new string('d', 64), null, null);
        state.RecordReleased(decision with { Subject = "round 2" }, GatewayState.RoundsLedger, 2, update, new string('e', 64), 1, null);
        state.MarkSent(report.MessageId, at.AddSeconds(1));
        state.RecordFailedAttempt(update.MessageId, at.AddMinutes(2), "broker unreachable");

        // When factory IT lists the outbox, then shows the update
        var listingRun = await fedctl.RunAsync("gateway", "outbox", "--state", directory);
        var shownRun = await fedctl.RunAsync("gateway", "outbox", "--state", directory, "--show", update.MessageId.ToString()[..8]);
        listingRun.Code.ShouldBe(0);
        shownRun.Code.ShouldBe(0);
        var (listing, shown) = (listingRun.Output, shownRun.Output);

        // Then the report shows as sent, the update as waiting with its error, and --show prints the document as it left
        listing.ShouldContain($"{report.MessageId} │ 1");
        listing.ShouldContain("2026-11-22 09:00:01");
        listing.ShouldContain("waiting");
        listing.ShouldContain("1, last: broker unreachable");
        listing.ShouldContain("2 messages, 1 waiting");
        shown.ShouldContain("payload 3 bytes");
        shown.ShouldContain("""{"round":2}""");
    }

    [Fact]
    public async Task A_folder_without_gateway_state_is_reported_not_created()
    {
        (await fedctl.RunAsync("gateway", "decisions", "--state", directory)).Code.ShouldBe(1);
        Directory.Exists(directory).ShouldBeFalse();
    }
}
