using System.Net;
using System.Net.Http.Json;
using Federation.Aggregator.Tests.Api;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Coordination.Evaluations;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests.Releases;

/// <summary>A task's release gate on the real host: gateways report, the gate holds or releases, an operator overrides.</summary>
public sealed class ReleaseGateApiTests : IClassFixture<AggregatorApiFactory>
{
    // Accuracy at least 0.85 over all data and at least 0.75 on every slice with at least 200 samples; two reports.
    private static readonly ReleaseGate Gate = new(
        [new GateThreshold("accuracy", null, 0.85, null), new GateThreshold("accuracy", GateThreshold.EverySlice, 0.75, null, MinSamples: 200)],
        MinReports: 2);

    private readonly AggregatorApiFactory factory;

    public ReleaseGateApiTests(AggregatorApiFactory factory) => this.factory = factory;

    private HttpClient Operator => factory.ClientWith(AggregatorApiFactory.OperatorToken);

    private EventHistory History => factory.Services.GetRequiredService<EventHistory>();

    private EvaluationRecorder Recorder => factory.Services.GetRequiredService<EvaluationRecorder>();

    private static MetricValue Accuracy(double value, long samples, string? slice = null) => new("accuracy", slice, value, samples);

    private async Task<List<IFederationEvent>> ReleasesAsync(string task) =>
        await History.ReadStreamAsync(EventStreams.Releases(task)).Select(entry => entry.Event).ToListAsync();

    // Stands in for a round of the task (rounds of tasks other than default are not built yet).
    private async Task<ModelVersionPublished> PublishAsync(string task, int version)
    {
        var published = new ModelVersionPublished(version, new string((char)('a' + version), 64), 6, version, version - 1, "fedavg", new Dictionary<string, double>(), null, [], TestGateway.SignedAt);
        await History.AppendAsync(EventStreams.Models(task), version, published);
        return published;
    }

    // class=1 is below 0.75 on 300 samples; class=2 is far worse but has only 100 samples, so it is not checked.
    private async Task ReportHeldAsync(string task, ModelVersionPublished model)
    {
        await Recorder.RecordAsync(factory.First.ReportFor(task, model.Version, model.ModelSha256,
            Accuracy(0.9, 400), Accuracy(0.9, 150, "class=0"), Accuracy(0.7, 150, "class=1"), Accuracy(0.1, 50, "class=2")), CancellationToken.None);
        (await ReleasesAsync(task)).ShouldBeEmpty("one report of the two the gate needs decides nothing");
        await Recorder.RecordAsync(factory.Second.ReportFor(task, model.Version, model.ModelSha256,
            Accuracy(0.88, 400), Accuracy(0.85, 150, "class=0"), Accuracy(0.72, 150, "class=1"), Accuracy(0.2, 50, "class=2")), CancellationToken.None);
    }

    private async Task ReportPassingAsync(string task, ModelVersionPublished model)
    {
        foreach (var gateway in new[] { factory.First, factory.Second })
        {
            await Recorder.RecordAsync(gateway.ReportFor(task, model.Version, model.ModelSha256,
                Accuracy(0.91, 400), Accuracy(0.9, 150, "class=0"), Accuracy(0.8, 150, "class=1")), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_version_with_one_slice_below_its_threshold_is_held_naming_the_slice_and_a_later_passing_version_is_released()
    {
        var versionZero = await TestTasks.CreateAsync(Operator, History, "gate-held", Gate);
        await ReportHeldAsync("gate-held", versionZero);
        var versionOne = await PublishAsync("gate-held", 1);
        await ReportPassingAsync("gate-held", versionOne);

        var decisions = await ReleasesAsync("gate-held");
        decisions.Count.ShouldBe(2);
        var held = decisions[0].ShouldBeOfType<ModelVersionHeld>();
        held.Version.ShouldBe(0);
        held.ModelSha256.ShouldBe(versionZero.ModelSha256);
        var failing = held.Checks.Where(check => !check.Passed).ShouldHaveSingleItem();
        failing.Slice.ShouldBe("class=1");
        failing.Minimum.ShouldBe(0.75);
        failing.Measured!.Value.ShouldBe(0.71, 1e-12);
        failing.SampleCount.ShouldBe(300);
        held.Checks.ShouldNotContain(check => check.Slice == "class=2");
        var reports = await History.ReadStreamAsync(EventStreams.Evaluations("gate-held")).Select(entry => entry.Event).OfType<EvaluationRecorded>().Take(2).ToListAsync();
        held.Evaluations.Select(used => used.ReportSha256).ShouldBe(reports.Select(report => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(report.Report)))));
        var released = decisions[1].ShouldBeOfType<ModelVersionReleased>();
        released.Version.ShouldBe(1);
        released.ReleasedBy.ShouldBeNull();
        released.Checks.ShouldAllBe(check => check.Passed);
    }

    [Fact]
    public async Task Models_ls_shows_the_held_and_the_released_version_and_an_older_client_still_reads_the_list()
    {
        var versionZero = await TestTasks.CreateAsync(Operator, History, "gate-listed", Gate);
        await ReportHeldAsync("gate-listed", versionZero);
        await ReportPassingAsync("gate-listed", await PublishAsync("gate-listed", 1));
        await PublishAsync("gate-listed", 2);

        var listed = await Operator.GetFromJsonAsync<List<ModelVersionListing>>("/api/models?task=gate-listed", ApiJson.Options);
        var asBefore = await Operator.GetFromJsonAsync<List<ModelVersionPublished>>("/api/models?task=gate-listed", ApiJson.Options);

        listed!.Select(model => model.Release.Status).ShouldBe([ReleaseStatus.Held, ReleaseStatus.Released, ReleaseStatus.None]);
        listed![0].Release.Reason.ShouldBe("accuracy on class=1 is 0.71 over 300 samples, below the minimum 0.75");
        asBefore!.Select(model => model.ModelSha256).ShouldBe(listed.Select(model => model.ModelSha256));
        (await Operator.GetAsync("/api/models?task=no-such-task")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Operator.GetFromJsonAsync<List<ModelVersionListing>>("/api/models", ApiJson.Options))!.ShouldAllBe(model => model.Release.Status == ReleaseStatus.None);
    }

    [Fact]
    public async Task An_operator_releases_a_held_version_with_a_reason_and_is_refused_without_one_or_for_a_released_or_unknown_version()
    {
        var versionZero = await TestTasks.CreateAsync(Operator, History, "gate-override", Gate);
        await ReportHeldAsync("gate-override", versionZero);
        await ReportPassingAsync("gate-override", await PublishAsync("gate-override", 1));

        var blank = await Operator.PostAsJsonAsync("/api/models/0/release?task=gate-override", new ModelReleaseRequest("  "));
        var unknown = await Operator.PostAsJsonAsync("/api/models/9/release?task=gate-override", new ModelReleaseRequest("ship it"));
        var alreadyReleased = await Operator.PostAsJsonAsync("/api/models/1/release?task=gate-override", new ModelReleaseRequest("ship it"));
        var auditor = await factory.ClientWith(AggregatorApiFactory.AuditorToken).PostAsJsonAsync("/api/models/0/release?task=gate-override", new ModelReleaseRequest("ship it"));
        var released = await Operator.PostAsJsonAsync("/api/models/0/release?task=gate-override", new ModelReleaseRequest("class 1 is rare on line 3; accepted by QA"));
        var again = await Operator.PostAsJsonAsync("/api/models/0/release?task=gate-override", new ModelReleaseRequest("again"));

        blank.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await blank.Content.ReadAsStringAsync()).ShouldContain("needs a reason");
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("has not been published");
        alreadyReleased.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await alreadyReleased.Content.ReadAsStringAsync()).ShouldContain("already released");
        auditor.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        released.StatusCode.ShouldBe(HttpStatusCode.OK, await released.Content.ReadAsStringAsync());
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var manual = (await ReleasesAsync("gate-override")).OfType<ModelVersionReleased>().Where(decision => decision.Version == 0).ShouldHaveSingleItem();
        manual.ReleasedBy.ShouldBe("model-team");
        manual.Reason.ShouldBe("class 1 is rare on line 3; accepted by QA");
        manual.Checks.ShouldContain(check => !check.Passed && check.Slice == "class=1");
        var listed = await Operator.GetFromJsonAsync<List<ModelVersionListing>>("/api/models?task=gate-override", ApiJson.Options);
        listed![0].Release.ShouldSatisfyAllConditions(
            release => release.Status.ShouldBe(ReleaseStatus.Released),
            release => release.ReleasedBy.ShouldBe("model-team"),
            release => release.Reason.ShouldBe("class 1 is rare on line 3; accepted by QA"));
    }

    [Fact]
    public async Task A_task_without_a_gate_records_no_release_decision()
    {
        var versionZero = await TestTasks.CreateAsync(Operator, History, "gate-none", null);
        await ReportPassingAsync("gate-none", versionZero);

        (await History.ReadStreamAsync(EventStreams.Evaluations("gate-none")).Select(entry => entry.Event).OfType<EvaluationRecorded>().CountAsync()).ShouldBe(2);
        (await ReleasesAsync("gate-none")).ShouldBeEmpty();
    }
}
