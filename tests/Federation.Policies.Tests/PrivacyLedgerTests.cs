using Federation.Learning.Privacy;

namespace Federation.Policies.Tests;

public class PrivacyLedgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromDays(30);

    private static PrivacyRelease Release(DateTimeOffset at, int steps = 100) => new(at, 1.1, 0.01, steps);

    [Fact]
    public void Epsilon_over_the_window_is_the_rdp_composition_of_its_releases()
    {
        var ledger = PrivacyLedger.Empty.Record(Release(Now.AddDays(-1))).Record(Release(Now.AddDays(-2), steps: 50));
        var accountant = new RdpAccountant();
        accountant.Record(1.1, 0.01, 100);
        accountant.Record(1.1, 0.01, 50);

        ledger.Spent(Now, Window, 1e-5).Epsilon.ShouldBe(accountant.Epsilon(1e-5), tolerance: 1e-12);
    }

    [Fact]
    public void Release_exactly_one_window_old_no_longer_counts()
    {
        var ledger = PrivacyLedger.Empty
            .Record(Release(Now - Window))
            .Record(Release(Now - Window + TimeSpan.FromSeconds(1)));

        ledger.InWindow(Now, Window).ShouldHaveSingleItem().At.ShouldBe(Now - Window + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Releases_from_the_future_count()
    {
        var ledger = PrivacyLedger.Empty.Record(Release(Now.AddHours(1)));

        ledger.InWindow(Now, Window).Length.ShouldBe(1);
    }

    [Fact]
    public void Empty_window_has_spent_nothing()
    {
        PrivacyLedger.Empty.Record(Release(Now.AddDays(-60))).Spent(Now, Window, 1e-5).Epsilon.ShouldBe(0);
    }

    [Fact]
    public void Releases_are_kept_in_time_order_and_recording_does_not_change_the_original()
    {
        var empty = PrivacyLedger.Empty;
        var ledger = empty.Record(Release(Now)).Record(Release(Now.AddDays(-3))).Record(Release(Now.AddDays(-1)));

        empty.Releases.ShouldBeEmpty();
        ledger.Releases.Select(r => r.At).ShouldBe([Now.AddDays(-3), Now.AddDays(-1), Now]);
        ledger.PruneBefore(Now.AddDays(-1)).Releases.Select(r => r.At).ShouldBe([Now]);
    }

    [Fact]
    public void Json_round_trips_exactly()
    {
        var ledger = PrivacyLedger.Empty
            .Record(new PrivacyRelease(Now, 1.1, 256.0 / 60000, 234))
            .Record(new PrivacyRelease(new DateTimeOffset(2026, 5, 1, 8, 30, 0, TimeSpan.FromHours(2)), 0.7, 0.1, 1));

        string json = ledger.ToJson();
        var back = PrivacyLedger.FromJson(json);

        json.ShouldStartWith("""{"format":"federation.privacy-ledger.v1","releases":[{"at":"2026-05-01T08:30:00.0000000+02:00","noiseMultiplier":0.7,""");
        back.Releases.ShouldBe(ledger.Releases);
        back.ToJson().ShouldBe(json);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"format":"something-else","releases":[]}""")]
    [InlineData("""{"format":"federation.privacy-ledger.v1"}""")]
    [InlineData("""{"format":"federation.privacy-ledger.v1","releases":[],"extra":1}""")]
    [InlineData("""{"format":"federation.privacy-ledger.v1","releases":[{"at":"2026-05-01T08:30:00.0000000+02:00","noiseMultiplier":-1,"samplingRate":0.1,"steps":1}]}""")]
    [InlineData("""{"format":"federation.privacy-ledger.v1","releases":[{"at":"yesterday","noiseMultiplier":1,"samplingRate":0.1,"steps":1}]}""")]
    public void Malformed_json_is_rejected(string json)
    {
        Should.Throw<FormatException>(() => PrivacyLedger.FromJson(json)).Message.ShouldStartWith("not a valid privacy ledger");
    }

    [Fact]
    public void Assessment_names_when_enough_budget_frees_up()
    {
        var releases = new[] { Now.AddDays(-29), Now.AddDays(-20), Now.AddDays(-10) };
        var ledger = releases.Aggregate(PrivacyLedger.Empty, (l, at) => l.Record(Release(at)));
        var candidate = Release(Now);

        // Budget between "candidate + newest release" and "candidate + two newest": the two oldest must leave.
        double twoReleases = PrivacyLedger.Empty.Record(Release(Now)).Record(Release(Now)).Spent(Now, Window, 1e-5).Epsilon;
        double threeReleases = PrivacyLedger.Empty.Record(Release(Now)).Record(Release(Now)).Record(Release(Now)).Spent(Now, Window, 1e-5).Epsilon;
        var budget = new PrivacyBudget((twoReleases + threeReleases) / 2, 1e-5, Window);

        var assessment = ledger.Assess(candidate, budget);

        assessment.WithinBudget.ShouldBeFalse();
        assessment.NeverFits.ShouldBeFalse();
        assessment.ReleasesInWindow.ShouldBe(3);
        assessment.FreesUpAt.ShouldBe(Now.AddDays(-20) + Window);
    }

    [Fact]
    public void Release_larger_than_the_whole_budget_never_fits()
    {
        double one = PrivacyLedger.Empty.Record(Release(Now)).Spent(Now, Window, 1e-5).Epsilon;

        var assessment = PrivacyLedger.Empty.Assess(Release(Now), new PrivacyBudget(one / 2, 1e-5, Window));

        assessment.WithinBudget.ShouldBeFalse();
        assessment.NeverFits.ShouldBeTrue();
        assessment.FreesUpAt.ShouldBeNull();
    }
}
