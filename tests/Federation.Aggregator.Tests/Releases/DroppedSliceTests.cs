using System.Net.Http.Json;
using Federation.Aggregator.Tests.Api;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Coordination.Evaluations;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests.Releases;

/// <summary>
/// A v3 report names the slices its gateway dropped for too few samples; the metrics API (which <c>fedctl models
/// metrics</c> prints) shows them by gateway, and a report whose version and dropped slices disagree is malformed.
/// </summary>
public sealed class DroppedSliceTests : IClassFixture<AggregatorApiFactory>
{
    private readonly AggregatorApiFactory factory;

    public DroppedSliceTests(AggregatorApiFactory factory) => this.factory = factory;

    private EventHistory History => factory.Services.GetRequiredService<EventHistory>();

    private EvaluationRecorder Recorder => factory.Services.GetRequiredService<EvaluationRecorder>();

    private static readonly MetricValue[] Metrics = [new("accuracy", null, 0.9, 100), new("accuracy", "lighting=normal", 0.92, 95)];

    private EvaluationReported V3(TestGateway gateway, string task, string sha256, IReadOnlyList<string>? dropped, string type = DocumentTypes.EvaluationReportV3) =>
        gateway.Sign(new EvaluationReport(type, gateway.Id, gateway.Key.KeyId, 0, sha256, Metrics, TestGateway.SignedAt, task, dropped));

    private async Task<List<EvaluationRejected>> RejectedAsync(string task) =>
        await History.ReadStreamAsync(EventStreams.Evaluations(task)).Select(entry => entry.Event).OfType<EvaluationRejected>().ToListAsync();

    [Fact]
    public async Task The_metrics_api_names_each_gateways_dropped_slices_beside_the_values_it_reported()
    {
        var created = await TestTasks.CreateAsync(factory.ClientWith(AggregatorApiFactory.OperatorToken), History, "dim-photos", null);

        await Recorder.RecordAsync(V3(factory.First, "dim-photos", created.ModelSha256, ["lighting=dim"]), CancellationToken.None);
        await Recorder.RecordAsync(factory.Second.ReportFor("dim-photos", 0, created.ModelSha256, Metrics), CancellationToken.None);

        (await RejectedAsync("dim-photos")).ShouldBeEmpty();
        var metrics = await factory.ClientWith(AggregatorApiFactory.AuditorToken).GetFromJsonAsync<ModelMetrics>("/api/models/0/metrics?task=dim-photos", ApiJson.Options);
        metrics!.PerGateway.Count.ShouldBe(2);
        metrics.DroppedSlices.ShouldBe([new DroppedSlice(factory.First.Id, "lighting=dim")]);
        metrics.Global.ShouldContain(metric => metric.Slice == "lighting=normal" && metric.Gateways == 2);
        metrics.Global.ShouldNotContain(metric => metric.Slice == "lighting=dim");
    }

    [Theory]
    [InlineData("no-list", DocumentTypes.EvaluationReportV3, null, "must name the slices it dropped")]
    [InlineData("empty-list", DocumentTypes.EvaluationReportV3, "", "must name the slices it dropped")]
    [InlineData("v2-with-list", DocumentTypes.EvaluationReportV2, "lighting=dim", "one with 'droppedSlices' is a federation.evaluation-report.v3")]
    [InlineData("dropped-and-valued", DocumentTypes.EvaluationReportV3, "lighting=normal", "name 'lighting=normal', which the report also gives values for")]
    [InlineData("listed-twice", DocumentTypes.EvaluationReportV3, "lighting=dim,lighting=dim", "list a slice twice")]
    public async Task A_report_whose_version_and_dropped_slices_disagree_is_malformed(string task, string type, string? dropped, string reason)
    {
        var created = await TestTasks.CreateAsync(factory.ClientWith(AggregatorApiFactory.OperatorToken), History, task, null);
        IReadOnlyList<string>? slices = dropped is null ? null : dropped.Split(',', StringSplitOptions.RemoveEmptyEntries);

        await Recorder.RecordAsync(V3(factory.First, task, created.ModelSha256, slices, type), CancellationToken.None);

        var rejected = (await RejectedAsync(task)).ShouldHaveSingleItem();
        rejected.Reason.ShouldBe(RejectionReason.MalformedManifest);
        rejected.Detail.ShouldContain(reason);
    }
}
