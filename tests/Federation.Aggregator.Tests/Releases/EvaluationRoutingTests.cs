using Federation.Aggregator.Tests.Api;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Coordination.Evaluations;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests.Releases;

/// <summary>The evaluation recorder files each report under the task it names, and checks it against that task's streams.</summary>
public sealed class EvaluationRoutingTests : IClassFixture<AggregatorApiFactory>
{
    private readonly AggregatorApiFactory factory;

    public EvaluationRoutingTests(AggregatorApiFactory factory) => this.factory = factory;

    private EventHistory History => factory.Services.GetRequiredService<EventHistory>();

    private EvaluationRecorder Recorder => factory.Services.GetRequiredService<EvaluationRecorder>();

    private static readonly MetricValue Accuracy = new("accuracy", null, 0.9, 100);

    private Task<ModelVersionPublished> CreateAsync(string task) =>
        TestTasks.CreateAsync(factory.ClientWith(AggregatorApiFactory.OperatorToken), History, task, null);

    private async Task<List<IFederationEvent>> EvaluationsAsync(string task) =>
        await History.ReadStreamAsync(EventStreams.Evaluations(task)).Select(entry => entry.Event).ToListAsync();

    private async Task<ModelVersionPublished> DefaultVersionZeroAsync() =>
        await History.ReadStreamAsync(EventStreams.Models(TaskIds.Default)).Select(entry => entry.Event).OfType<ModelVersionPublished>().FirstAsync();

    [Fact]
    public async Task A_report_naming_a_task_is_recorded_in_that_tasks_stream_and_counts_apart_from_the_same_version_of_another_task()
    {
        var routed = await CreateAsync("routed");
        var other = await CreateAsync("routed-other");

        await Recorder.RecordAsync(factory.First.ReportFor("routed", 0, routed.ModelSha256, Accuracy), CancellationToken.None);
        await Recorder.RecordAsync(factory.First.ReportFor("routed-other", 0, other.ModelSha256, Accuracy), CancellationToken.None);
        await Recorder.RecordAsync(factory.First.ReportFor("routed", 0, routed.ModelSha256, Accuracy), CancellationToken.None);

        var events = await EvaluationsAsync("routed");
        events.OfType<EvaluationRecorded>().ShouldHaveSingleItem().GatewayId.ShouldBe(factory.First.Id);
        events.OfType<EvaluationRejected>().ShouldHaveSingleItem().Reason.ShouldBe(RejectionReason.DuplicateContribution);
        (await EvaluationsAsync("routed-other")).OfType<EvaluationRecorded>().ShouldHaveSingleItem();
        (await EvaluationsAsync(TaskIds.Default)).ShouldNotContain(e => e is EvaluationRecorded && ((EvaluationRecorded)e).Report.Contains("\"task\":\"routed"));
    }

    [Fact]
    public async Task The_model_hash_is_checked_against_the_named_tasks_versions()
    {
        await CreateAsync("hash-checked");
        var defaultVersionZero = await DefaultVersionZeroAsync();

        await Recorder.RecordAsync(factory.Second.ReportFor("hash-checked", 0, defaultVersionZero.ModelSha256, Accuracy), CancellationToken.None);

        var rejected = (await EvaluationsAsync("hash-checked")).OfType<EvaluationRejected>().ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.UnknownModelVersion);
        rejected.Detail.ShouldContain("task 'hash-checked'");
    }

    [Fact]
    public async Task A_report_naming_an_unknown_task_is_rejected_with_the_task_named_in_the_default_stream()
    {
        await Recorder.RecordAsync(factory.Second.ReportFor("never-created", 0, new string('0', 64), Accuracy), CancellationToken.None);

        var rejected = (await EvaluationsAsync(TaskIds.Default)).OfType<EvaluationRejected>().Last();
        rejected.Reason.ShouldBe(RejectionReason.UnknownModelVersion);
        rejected.Detail.ShouldBe("Task 'never-created' does not exist, so it has no model version 0.");
        (await History.ReadStreamAsync(EventStreams.Evaluations("never-created")).AnyAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task A_v1_report_is_one_of_task_default_and_a_document_whose_type_and_task_disagree_is_malformed()
    {
        var versionZero = await DefaultVersionZeroAsync();

        await Recorder.RecordAsync(factory.Second.Report(0, versionZero.ModelSha256, Accuracy), CancellationToken.None);
        await Recorder.RecordAsync(factory.First.Sign(new EvaluationReport(DocumentTypes.EvaluationReport, factory.First.Id, factory.First.Key.KeyId, 0, versionZero.ModelSha256, [Accuracy], TestGateway.SignedAt, "default")), CancellationToken.None);
        await Recorder.RecordAsync(factory.First.Sign(new EvaluationReport(DocumentTypes.EvaluationReportV2, factory.First.Id, factory.First.Key.KeyId, 0, versionZero.ModelSha256, [Accuracy], TestGateway.SignedAt)), CancellationToken.None);

        var events = await EvaluationsAsync(TaskIds.Default);
        events.OfType<EvaluationRecorded>().ShouldContain(recorded => recorded.GatewayId == factory.Second.Id && recorded.ModelVersion == 0);
        var malformed = events.OfType<EvaluationRejected>().Where(rejected => rejected.Reason == RejectionReason.MalformedManifest).ToList();
        malformed.Count.ShouldBe(2);
        malformed[0].Detail.ShouldContain("names no task");
        malformed[1].Detail.ShouldContain("must name its task");
    }
}
