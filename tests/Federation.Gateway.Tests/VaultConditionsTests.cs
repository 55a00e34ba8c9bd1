using Federation.Site.Training;
using Federation.Vault;

namespace Federation.Gateway.Tests;

/// <summary>Conditions from a sidecar reach the vault index, the trainer's data file and the metric slices, or are quarantined with the line that is wrong.</summary>
public sealed class VaultConditionsTests
{
    [Fact]
    public void A_sidecar_s_conditions_are_kept_sorted_by_key_and_survive_reopening_the_vault()
    {
        using var site = new VaultSite();
        var photo = site.Write("weld-1.png", TestPng.Encode(2, 2, 0, [0, 60, 120, 250]));
        File.WriteAllText(photo + VaultConditions.SidecarSuffix, "# camera 3\nsurface=wet\nlighting=dim\n\n");

        var result = site.Import(VaultKind.Photos, photo, label: "ok");

        result.Outcome.ShouldBe(VaultImportOutcome.Stored);
        result.Entry!.Conditions.ShouldBe(["lighting=dim", "surface=wet"]);
        VaultStore.OpenExisting(site.StateDirectory).Entries().Single().Conditions.ShouldBe(["lighting=dim", "surface=wet"]);
    }

    [Fact]
    public void A_photo_without_a_sidecar_has_no_conditions()
    {
        using var site = new VaultSite();
        var photo = site.Write("weld-2.png", TestPng.Encode(1, 1, 0, [7]));

        site.Import(VaultKind.Photos, photo, label: "ok").Entry!.Conditions.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("lighting dim", "line 1 is not a condition")]
    [InlineData("class=ok", "line 1 is not a condition")]
    [InlineData("lighting=dim\nLighting=bright", "line 2 is not a condition")]
    [InlineData("lighting=dim\nlighting=bright", "line 2 states 'lighting' a second time")]
    [InlineData("lighting=dim;shift=night", "line 1 is not a condition")]
    public void A_bad_sidecar_quarantines_the_file_with_the_line_that_is_wrong(string sidecar, string reason)
    {
        using var site = new VaultSite();
        var photo = site.Write("weld-3.png", TestPng.Encode(1, 1, 0, [9]));
        File.WriteAllText(photo + VaultConditions.SidecarSuffix, sidecar);

        var result = site.Import(VaultKind.Photos, photo, label: "ok");

        result.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        result.Problem!.Message.ShouldContain(reason);
        site.Store.Entries().ShouldBeEmpty();
    }

    [Fact]
    public void Sidecars_are_not_imported_as_data()
    {
        VaultImporter.IsSidecar("a.png.conditions").ShouldBeTrue();
        VaultImporter.IsSidecar("a.png.label").ShouldBeTrue();
        VaultImporter.IsSidecar("a.png").ShouldBeFalse();
    }

    [Fact]
    public void An_external_evaluation_may_report_a_condition_slice_only_over_the_entries_that_carry_it()
    {
        var conditions = new Dictionary<string, int> { ["lighting=dim"] = 20 };
        const string Overall = """{"name":"accuracy","value":0.8,"samples":60}""";

        var metrics = ExternalMetrics.Read(
            System.Text.Encoding.UTF8.GetBytes($$"""{"metrics":[{{Overall}},{"name":"accuracy","slice":"lighting=dim","value":0.5,"samples":20}]}"""),
            entries: 60, classes: 2, out var problem, conditions);
        problem.ShouldBeNull();
        metrics!.Single(metric => metric.Slice == "lighting=dim").Value.ShouldBe(0.5);

        ExternalMetrics.Read(
            System.Text.Encoding.UTF8.GetBytes($$"""{"metrics":[{{Overall}},{"name":"accuracy","slice":"lighting=dim","value":0.5,"samples":21}]}"""),
            entries: 60, classes: 2, out problem, conditions).ShouldBeNull();
        problem!.ShouldContain("metric 1");

        ExternalMetrics.Read(
            System.Text.Encoding.UTF8.GetBytes($$"""{"metrics":[{{Overall}},{"name":"accuracy","slice":"surface=wet","value":0.5,"samples":5}]}"""),
            entries: 60, classes: 2, out problem, conditions).ShouldBeNull();
        problem!.ShouldContain("metric 1");
    }
}

/// <summary>The gateway's own evaluation reports one accuracy slice per condition, over the samples that carry it.</summary>
public sealed class HoldoutConditionMetricsTests
{
    [Fact]
    public void Each_condition_gets_an_accuracy_slice_over_the_samples_that_carry_it()
    {
        var spec = Federation.Learning.Models.ModelSpec.LogisticRegression(2, 2);
        var model = spec.Initialize(seed: 1);
        var holdout = new Federation.Learning.Data.Dataset([1, 0, 0, 1, 1, 1, 0, 0], [0, 1, 0, 1], 2, 2);
        IReadOnlyList<string>[] conditions = [["lighting=dim"], [], ["lighting=dim", "shift=night"], ["shift=night"]];

        var metrics = HoldoutMetrics.Of(spec, model, holdout, conditions);

        metrics.Where(metric => metric.Slice is "lighting=dim" or "shift=night").Select(metric => (metric.Slice, metric.SampleCount))
            .ShouldBe([("lighting=dim", 2L), ("shift=night", 2L)]);
        Should.Throw<ArgumentException>(() => HoldoutMetrics.Of(spec, model, holdout, [[]]));
    }
}
