using Federation.Aggregator.Tests;
using Federation.Audit.Bundles;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>The offline audit of a history with two tasks: rounds and versions are checked per task, and a version is looked up in its task.</summary>
public sealed class TaskAuditTests(TaskAuditFixture fixture) : IClassFixture<TaskAuditFixture>
{
    [Fact]
    public async Task Two_tasks_each_publishing_version_1_from_its_own_round_1_verify_with_no_findings()
    {
        var (code, output) = await fixture.AuditAsync($"verify {fixture.Bundle} --log-key {fixture.LogKey}");

        code.ShouldBe(0, output);
        output.ShouldContain("VERIFIED");
        output.ShouldContain("4 versions in 2 tasks");
        var report = new BundleVerifier(fixture.Bundle, fixture.LogKey).Verify();
        report.Findings.ShouldBeEmpty();
        report.Tasks.ShouldBe(2);
        report.ModelVersions.ShouldBe(4);
        report.ModelVersionsTraced.ShouldBe(2);
        report.ContributionsChecked.ShouldBe(2);
    }

    [Theory]
    [InlineData(TaskAuditFixture.Task, true)]
    [InlineData(TaskIds.Default, true)]
    [InlineData(TaskAuditFixture.Task, false)]
    public async Task Version_1_of_either_task_reaggregates_to_that_tasks_published_hash(string task, bool fromBundle)
    {
        var output = Path.Combine(Path.GetTempPath(), $"reaggregated-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, text) = await fixture.AuditAsync($"reaggregate --task {task} --model-version 1 --out {output}{(fromBundle ? $" --bundle {fixture.Bundle}" : "")}");

            code.ShouldBe(0, text);
            text.ShouldContain("confirmed");
            Sha256Hex.Of(await File.ReadAllBytesAsync(output)).ShouldBe(Published(task, 1).ModelSha256);
            Published(TaskAuditFixture.Task, 1).ModelSha256.ShouldNotBe(Published(TaskIds.Default, 1).ModelSha256);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task A_gateways_contributions_name_the_task_of_each_round_and_version_they_went_into()
    {
        var (created, createdText) = await fixture.AuditAsync($"contributions --gateway {fixture.Factory.Second.Id} --bundle {fixture.Bundle}");
        var (legacy, legacyText) = await fixture.AuditAsync($"contributions --gateway {fixture.Factory.First.Id} --bundle {fixture.Bundle}");

        created.ShouldBe(0, createdText);
        createdText.ShouldContain($"accepted  {fixture.Factory.Second.Id}, {TaskAuditFixture.Task} round 1, used in {TaskAuditFixture.Task} v1");
        legacy.ShouldBe(0, legacyText);
        legacyText.ShouldContain($"accepted  {fixture.Factory.First.Id}, round 1, used in v1");
    }

    [Fact]
    public async Task Provenance_of_the_created_tasks_version_1_names_its_own_round_and_gateway()
    {
        var (code, text) = await fixture.AuditAsync($"provenance --task {TaskAuditFixture.Task} --model-version 1 --bundle {fixture.Bundle}");

        code.ShouldBe(0, text);
        text.ShouldContain($"Model {TaskAuditFixture.Task} v1 {Published(TaskAuditFixture.Task, 1).ModelSha256}");
        text.ShouldContain($"#1 {fixture.Factory.Second.Id}");
        text.ShouldNotContain(fixture.Factory.First.Id);
    }

    [Fact]
    public async Task A_version_a_task_has_not_published_is_refused_naming_the_task()
    {
        var (code, text) = await fixture.AuditAsync($"provenance --task {TaskAuditFixture.Task} --model-version 2 --bundle {fixture.Bundle}");

        code.ShouldNotBe(0);
        text.ShouldContain($"Model version 2 has not been published in task '{TaskAuditFixture.Task}'");
    }

    [Fact]
    public void A_contribution_recorded_in_one_tasks_round_whose_manifest_names_the_other_task_is_a_finding()
    {
        // Given press-fit's round 2, opened on its version 1, and in it an accepted contribution whose signed (v1) manifest is task default's
        var pressFitV1 = Published(TaskAuditFixture.Task, 1);
        var history = AuditBundle.ReadHistory(fixture.Bundle);
        var opened = (RoundOpened)history.Single(entry => entry.Recorded.StreamId == EventStreams.Round(TaskAuditFixture.Task, 1) && entry.Event is RoundOpened).Event;
        var payload = SafeTensorsOfDefaultUpdate();
        var submitted = fixture.Factory.First.Contribute(payload, round: 2, baseModelSha256: pressFitV1.ModelSha256);
        var manifest = Federation.Audit.Contributions.ManifestDocument.Parse(submitted.Manifest, out _).ShouldNotBeNull();
        var accepted = new ContributionAccepted(2, manifest.GatewayId, manifest.KeyId, manifest.PayloadSha256, manifest.PayloadBytes, manifest.SampleCount, manifest.Sequence,
            manifest.PolicySha256, submitted.Manifest, submitted.Signature, DateTimeOffset.UtcNow);
        var stream = EventStreams.Round(TaskAuditFixture.Task, 2);
        var logKey = fixture.CopyWithAppended(
            [(stream, 1, opened with { Round = 2, BaseModelVersion = 1, BaseModelSha256 = pressFitV1.ModelSha256 }), (stream, 2, accepted)], out var bundle);

        // When it is verified
        var report = new BundleVerifier(bundle, logKey).Verify();

        // Then exactly that contribution is named, with both tasks
        var position = report.EventsChecked;
        report.RootMatches.ShouldBeTrue();
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Check.ShouldBe(4);
        finding.Where.ShouldBe($"events.jsonl line {position} (position {position}), field data.manifest");
        finding.Problem.ShouldContain("task 'default'");
        finding.Problem.ShouldContain($"stream '{stream}' of task '{TaskAuditFixture.Task}'");
    }

    [Fact]
    public void An_evaluation_recorded_in_one_tasks_stream_whose_signed_report_names_another_task_is_a_finding()
    {
        // Given, in press-fit's evaluations, a report on press-fit's version 1 that its gateway signed as task default's
        var pressFitV1 = Published(TaskAuditFixture.Task, 1);
        var history = AuditBundle.ReadHistory(fixture.Bundle);
        var stream = EventStreams.Evaluations(TaskAuditFixture.Task);
        var metric = new Federation.Contracts.Signing.MetricValue("accuracy", null, 0.9, 100);
        var signed = fixture.Factory.Second.ReportFor(TaskIds.Default, 1, pressFitV1.ModelSha256, metric);
        var recorded = new EvaluationRecorded(1, fixture.Factory.Second.Id, fixture.Factory.Second.Key.KeyId, [metric], signed.Report, signed.Signature, DateTimeOffset.UtcNow);
        var logKey = fixture.CopyWithAppended([(stream, history.Count(entry => entry.Recorded.StreamId == stream) + 1, recorded)], out var bundle);

        // When it is verified
        var report = new BundleVerifier(bundle, logKey).Verify();

        // Then exactly that evaluation is named, with both tasks
        var position = report.EventsChecked;
        var finding = report.Findings.ShouldHaveSingleItem();
        finding.Check.ShouldBe(4);
        finding.Where.ShouldBe($"events.jsonl line {position} (position {position}), field data.report");
        finding.Problem.ShouldContain("task 'default'");
        finding.Problem.ShouldContain($"stream '{stream}' of task '{TaskAuditFixture.Task}'");
    }

    // The payload of factory-1's accepted contribution in task default, so the forged one names a payload the bundle holds.
    private static byte[] SafeTensorsOfDefaultUpdate() => Federation.Learning.Tensors.SafeTensors.Write(TestGateway.Update());

    private ModelVersionPublished Published(string task, int version) =>
        (ModelVersionPublished)AuditBundle.ReadHistory(fixture.Bundle).FindVersion(task, version).ShouldNotBeNull().Event;
}
