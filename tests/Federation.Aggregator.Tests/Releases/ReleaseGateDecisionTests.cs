using Federation.Audit.Releases;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;

namespace Federation.Aggregator.Tests.Releases;

public sealed class ReleaseGateDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    private static readonly ReleaseGate AccuracyGate = new(
        [new GateThreshold("accuracy", null, 0.8, null), new GateThreshold("accuracy", GateThreshold.EverySlice, 0.6, null, MinSamples: 50)],
        MinReports: 2);

    private static GatedEvaluation Evaluation(string gateway, int version, params MetricValue[] metrics) =>
        new(new EvaluationRecorded(version, gateway, $"{gateway}-key", metrics, $"report of {gateway} on {version}", "sig", Now), $"sha-{gateway}-{version}-{metrics.Length}");

    private static MetricValue Accuracy(double value, long samples, string? slice = null) => new("accuracy", slice, value, samples);

    private static IFederationEvent? Decide(ReleaseGate? gate, int version, params GatedEvaluation[] evaluations) =>
        ReleaseGateDecision.Decide("default", version, $"model-{version}", gate, evaluations, Now);

    [Fact]
    public void One_slice_below_its_threshold_holds_the_version_and_names_the_slice_with_its_measured_value()
    {
        var held = Decide(AccuracyGate, 3,
            Evaluation("factory-1", 3, Accuracy(0.9, 100), Accuracy(0.95, 60, "class=Bag"), Accuracy(0.5, 60, "class=Coat")),
            Evaluation("factory-2", 3, Accuracy(0.85, 100), Accuracy(0.9, 40, "class=Bag"), Accuracy(0.55, 40, "class=Coat")))
            .ShouldBeOfType<ModelVersionHeld>();

        held.Task.ShouldBe("default");
        held.Version.ShouldBe(3);
        held.ModelSha256.ShouldBe("model-3");
        held.HeldAt.ShouldBe(Now);
        held.Checks.Select(check => check.Slice).ShouldBe([null, "class=Bag", "class=Coat"]);
        var failing = held.Checks.Where(check => !check.Passed).ShouldHaveSingleItem();
        failing.Slice.ShouldBe("class=Coat");
        failing.Measured!.Value.ShouldBe((0.5 * 60 + 0.55 * 40) / 100, 1e-12);
        failing.SampleCount.ShouldBe(100);
        failing.Minimum.ShouldBe(0.6);
        held.Evaluations.ShouldBe([new EvaluationUsed("factory-1", "factory-1-key", "sha-factory-1-3-3"), new EvaluationUsed("factory-2", "factory-2-key", "sha-factory-2-3-3")]);
    }

    [Fact]
    public void The_next_version_passing_every_check_is_released_by_the_gate()
    {
        var released = Decide(AccuracyGate, 4,
            Evaluation("factory-1", 4, Accuracy(0.9, 100), Accuracy(0.95, 60, "class=Bag"), Accuracy(0.7, 60, "class=Coat")),
            Evaluation("factory-2", 4, Accuracy(0.85, 100), Accuracy(0.9, 40, "class=Bag"), Accuracy(0.65, 40, "class=Coat")))
            .ShouldBeOfType<ModelVersionReleased>();

        released.Version.ShouldBe(4);
        released.ReleasedBy.ShouldBeNull();
        released.Reason.ShouldBeNull();
        released.ReleasedAt.ShouldBe(Now);
        released.Checks.Count.ShouldBe(3);
        released.Checks.ShouldAllBe(check => check.Passed);
        released.Evaluations.Count.ShouldBe(2);
    }

    [Fact]
    public void The_measured_value_is_weighted_by_samples_not_by_report()
    {
        // Unweighted the mean would be 0.75 and pass; weighted by samples it is 0.55 and fails.
        var gate = new ReleaseGate([new GateThreshold("accuracy", null, 0.7, null)], MinReports: 2);

        var held = Decide(gate, 1, Evaluation("factory-1", 1, Accuracy(1.0, 10)), Evaluation("factory-2", 1, Accuracy(0.5, 90)))
            .ShouldBeOfType<ModelVersionHeld>();

        var check = held.Checks.ShouldHaveSingleItem();
        check.Measured!.Value.ShouldBe(0.55, 1e-12);
        check.SampleCount.ShouldBe(100);
        check.Passed.ShouldBeFalse();
    }

    [Fact]
    public void A_maximum_bounds_a_metric_such_as_a_loss()
    {
        var gate = new ReleaseGate([new GateThreshold("loss", null, null, 0.5)], MinReports: 1);

        Decide(gate, 1, Evaluation("factory-1", 1, new MetricValue("loss", null, 0.4, 10))).ShouldBeOfType<ModelVersionReleased>();
        Decide(gate, 1, Evaluation("factory-1", 1, new MetricValue("loss", null, 0.6, 10))).ShouldBeOfType<ModelVersionHeld>();
    }

    [Fact]
    public void Slices_with_fewer_samples_than_the_threshold_asks_are_not_checked()
    {
        // class=Sandal is bad but measured on only 30 samples over both gateways, below MinSamples 50.
        var released = Decide(AccuracyGate, 2,
            Evaluation("factory-1", 2, Accuracy(0.9, 100), Accuracy(0.9, 60, "class=Bag"), Accuracy(0.1, 20, "class=Sandal")),
            Evaluation("factory-2", 2, Accuracy(0.9, 100), Accuracy(0.2, 10, "class=Sandal")))
            .ShouldBeOfType<ModelVersionReleased>();

        released.Checks.Select(check => check.Slice).ShouldBe([null, "class=Bag"]);
    }

    [Fact]
    public void A_slice_counts_its_samples_over_all_gateways_against_the_minimum()
    {
        // 30 + 30 samples of class=Sandal: each gateway alone is below 50, together they are checked.
        var held = Decide(AccuracyGate, 2,
            Evaluation("factory-1", 2, Accuracy(0.9, 100), Accuracy(0.1, 30, "class=Sandal")),
            Evaluation("factory-2", 2, Accuracy(0.9, 100), Accuracy(0.2, 30, "class=Sandal")))
            .ShouldBeOfType<ModelVersionHeld>();

        var failing = held.Checks.Where(check => !check.Passed).ShouldHaveSingleItem();
        failing.Slice.ShouldBe("class=Sandal");
        failing.SampleCount.ShouldBe(60);
    }

    [Fact]
    public void Slices_are_checked_in_ordinal_order_whatever_order_gateways_report_them_in()
    {
        var gate = new ReleaseGate([new GateThreshold("accuracy", GateThreshold.EverySlice, 0.5, null)], MinReports: 2);

        var released = Decide(gate, 1,
            Evaluation("factory-2", 1, Accuracy(0.9, 10, "b"), Accuracy(0.9, 10, "B"), Accuracy(0.9, 10, "a")),
            Evaluation("factory-1", 1, Accuracy(0.9, 10, "c"), Accuracy(0.9, 10, "a")))
            .ShouldBeOfType<ModelVersionReleased>();

        released.Checks.Select(check => check.Slice).ShouldBe(["B", "a", "b", "c"]);
        released.Evaluations.Select(used => used.GatewayId).ShouldBe(["factory-1", "factory-2"]);
    }

    [Fact]
    public void A_missing_metric_fails_with_no_measured_value()
    {
        var gate = new ReleaseGate([new GateThreshold("accuracy", null, 0.5, null), new GateThreshold("accuracy", "class=Coat", 0.5, null)], MinReports: 1);

        var held = Decide(gate, 1, Evaluation("factory-1", 1, Accuracy(0.9, 100), new MetricValue("loss", "class=Coat", 0.9, 100)))
            .ShouldBeOfType<ModelVersionHeld>();

        held.Checks[0].Passed.ShouldBeTrue();
        held.Checks[1].ShouldBe(new GateCheck("accuracy", "class=Coat", 0.5, null, null, 0, false));
    }

    [Fact]
    public void A_gate_on_every_slice_with_no_slice_measured_fails()
    {
        var gate = new ReleaseGate([new GateThreshold("accuracy", GateThreshold.EverySlice, 0.5, null, MinSamples: 50)], MinReports: 1);

        var held = Decide(gate, 1, Evaluation("factory-1", 1, Accuracy(0.9, 100), Accuracy(0.9, 10, "class=Coat")))
            .ShouldBeOfType<ModelVersionHeld>();

        held.Checks.ShouldHaveSingleItem().ShouldBe(new GateCheck("accuracy", GateThreshold.EverySlice, 0.5, null, null, 0, false));
    }

    [Fact]
    public void Until_enough_gateways_have_reported_nothing_is_decided()
    {
        var first = Evaluation("factory-1", 1, Accuracy(0.9, 100));

        Decide(AccuracyGate, 1, first).ShouldBeNull();
        // A second report from the same gateway is still one gateway; a report of another version does not count.
        Decide(AccuracyGate, 1, first, Evaluation("factory-1", 1, Accuracy(0.8, 100)), Evaluation("factory-2", 2, Accuracy(0.9, 100))).ShouldBeNull();
        Decide(AccuracyGate, 1, first, Evaluation("factory-2", 1, Accuracy(0.9, 100))).ShouldNotBeNull();
    }

    [Fact]
    public void Only_the_latest_report_of_each_gateway_counts()
    {
        var gate = new ReleaseGate([new GateThreshold("accuracy", null, 0.8, null)], MinReports: 2);
        var superseded = Evaluation("factory-1", 1, Accuracy(0.1, 1000));
        var latest = Evaluation("factory-1", 1, Accuracy(0.9, 100), Accuracy(0.9, 1, "unused"));

        var released = Decide(gate, 1, superseded, Evaluation("factory-2", 1, Accuracy(0.9, 100)), latest).ShouldBeOfType<ModelVersionReleased>();

        var check = released.Checks.ShouldHaveSingleItem();
        check.Measured!.Value.ShouldBe(0.9, 1e-12);
        check.SampleCount.ShouldBe(200);
        released.Evaluations.ShouldContain(new EvaluationUsed("factory-1", "factory-1-key", latest.ReportSha256));
        released.Evaluations.ShouldNotContain(used => used.ReportSha256 == superseded.ReportSha256);
    }

    [Fact]
    public void A_task_without_a_gate_releases_at_once_with_no_checks()
    {
        var released = Decide(null, 5).ShouldBeOfType<ModelVersionReleased>();

        released.Checks.ShouldBeEmpty();
        released.Evaluations.ShouldBeEmpty();
        released.ReleasedBy.ShouldBeNull();
    }

    [Fact]
    public void An_operator_releases_a_held_version_with_a_reason_keeping_what_it_was_held_on()
    {
        var held = Decide(AccuracyGate, 3,
            Evaluation("factory-1", 3, Accuracy(0.5, 100)), Evaluation("factory-2", 3, Accuracy(0.5, 100))).ShouldBeOfType<ModelVersionHeld>();
        var later = Now.AddHours(1);

        var released = ReleaseGateDecision.ReleaseHeld(held, "operator-alice", "Coat accuracy accepted for the pilot line", later);

        released.ShouldBe(new ModelVersionReleased("default", 3, "model-3", held.Checks, held.Evaluations, "operator-alice", "Coat accuracy accepted for the pilot line", later));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_operator_release_without_a_reason_is_refused(string reason)
    {
        var held = new ModelVersionHeld("default", 3, "model-3", [], [], Now);

        Should.Throw<ArgumentException>(() => ReleaseGateDecision.ReleaseHeld(held, "operator-alice", reason, Now)).ParamName.ShouldBe("reason");
        Should.Throw<ArgumentException>(() => ReleaseGateDecision.ReleaseHeld(held, " ", "a reason", Now)).ParamName.ShouldBe("releasedBy");
    }
}
