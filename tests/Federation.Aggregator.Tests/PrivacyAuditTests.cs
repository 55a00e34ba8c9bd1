using System.Text;
using Federation.Audit.Privacy;
using Federation.Contracts;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Policies;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>The offline privacy audit recomputes each factory's ε per task from signed manifests and flags what went over.</summary>
public sealed class PrivacyAuditTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromDays(30);

    [Fact]
    public void Spending_is_recomputed_per_gateway_and_task_as_the_gateways_ledger_computes_it()
    {
        // Given a gateway's ledger of three releases in two tasks, and manifests signed from it
        var ledger = PrivacyLedger.Empty;
        var events = new List<IFederationEvent>();
        foreach (var (sequence, task, hours) in new[] { (1L, "default", 0), (2L, "press-fit", 1), (3L, "default", 2) })
        {
            var release = new PrivacyRelease(Start.AddHours(hours), 1.1, 0.1, 20, task);
            ledger = ledger.Record(release);
            double alone = PrivacyLedger.Empty.Record(release).Spent(release.At, Window, 1e-5, task).Epsilon;
            double inWindow = ledger.Spent(release.At, Window, 1e-5, task).Epsilon;
            events.Add(Accepted(sequence, task, release.At, Charge(alone, inWindow, budget: 8)));
        }

        // When the history is audited
        var audited = PrivacyAudit.Of(events);

        // Then every figure agrees, per task: default's second release pays for its first, press-fit's for none
        audited.Select(release => (release.Task, release.Sequence)).ShouldBe([("default", 1L), ("default", 3L), ("press-fit", 2L)]);
        audited.ShouldAllBe(release => release.EpsilonAgrees && release.WindowAgrees && !release.ExceedsBudget);
        audited.Single(release => release.Sequence == 3).EpsilonInWindow.ShouldBe(ledger.Spent(Start.AddHours(2), Window, 1e-5, "default").Epsilon, 1e-12);
        audited.Single(release => release.Sequence == 3).EpsilonInWindow.ShouldBeGreaterThan(audited.Single(release => release.Sequence == 1).EpsilonInWindow);
    }

    [Fact]
    public void A_release_over_its_budget_or_with_an_epsilon_its_parameters_do_not_give_is_flagged()
    {
        var release = new PrivacyRelease(Start, 1.1, 0.1, 20);
        double epsilon = PrivacyLedger.Empty.Record(release).Spent(Start, Window, 1e-5).Epsilon;

        var audited = PrivacyAudit.Of(
        [
            Accepted(1, "default", Start, Charge(epsilon, epsilon, budget: epsilon / 2)),
            Accepted(1, "press-fit", Start, Charge(epsilon / 10, epsilon / 10, budget: 8), gateway: "factory-2"),
        ]);

        audited[0].ExceedsBudget.ShouldBeTrue();
        audited[1].EpsilonAgrees.ShouldBeFalse();
        audited[1].WindowAgrees.ShouldBeFalse();
    }

    private static ReleasePrivacy Charge(double alone, double inWindow, double budget) =>
        new(ReleasePrivacy.DpSgd, 0.1, 20, 1.0, 1.1, alone, inWindow, budget, 1e-5, (long)Window.TotalSeconds);

    private static ContributionAccepted Accepted(long sequence, string task, DateTimeOffset at, ReleasePrivacy privacy, string gateway = "factory-1")
    {
        var manifest = new ContributionManifest(
            DocumentTypes.ContributionManifestV3, gateway, new string('a', 64), 1, new string('b', 64), new string('c', 64), 100, 500, sequence, new string('d', 64), at, task, privacy);
        var json = Encoding.UTF8.GetString(JsonCanonicalizer.Serialize(manifest, FederationJson.Options));
        return new ContributionAccepted(1, gateway, manifest.KeyId, manifest.PayloadSha256, 100, 500, sequence, manifest.PolicySha256, json, "", at);
    }
}
