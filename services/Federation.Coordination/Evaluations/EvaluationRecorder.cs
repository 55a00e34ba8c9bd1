using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Audit;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Releases;
using Federation.Coordination.Tasks;
using Federation.Audit.Tasks;
using Federation.EventStore;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Evaluations;

/// <summary>
/// Verifies gateways' signed evaluation reports and records each as recorded or rejected, in the evaluations stream
/// of the task the report names (a v1 report names none and is one of task <c>default</c>). Values and counts are
/// bounded, so no report can make the metric projections overflow, and each gateway counts once per model version.
/// After each recorded report of a task with a release gate, the <see cref="ReleaseRecorder"/> decides the version's
/// release if it has no decision yet.
/// </summary>
public sealed class EvaluationRecorder(
    EventHistory history, GatewayKeys keys, TaskRegistry tasks, ReleaseRecorder releases, DecisionGate gate, TimeProvider clock, ILogger<EvaluationRecorder> logger)
{
    /// <summary>The largest sample count one metric may claim.</summary>
    public const long MaxSampleCount = 1L << 40;

    /// <summary>The largest magnitude a metric value may have (accuracy is further held to [0, 1]).</summary>
    public const double MaxMetricValue = 1e9;

    /// <summary>
    /// Checks a report and appends the outcome to its task's evaluations stream; a rejected report whose task cannot
    /// be read or does not exist goes to task <c>default</c>'s. Never throws for bad input.
    /// </summary>
    public async Task RecordAsync(EvaluationReported message, CancellationToken cancellationToken)
    {
        message = message with { Report = message.Report ?? "", Signature = message.Signature ?? "" };
        // Both are read before the gate: their first read waits for their start, which itself passes the gate.
        await keys.RegistryAsync(cancellationToken);
        await tasks.CatalogAsync(cancellationToken);
        var (report, rejection) = await gate.RunAsync(async () =>
        {
            var (registry, catalog, now) = (keys.Registry, await tasks.CatalogAsync(cancellationToken), clock.GetUtcNow());
            var report = ReportDocument.Parse(message.Report, out var rejection);
            var task = report is not null && IsKnown(TaskOf(report), catalog) ? TaskOf(report) : TaskIds.Default;
            if (report is not null && rejection is null)
            {
                SignedDocument.Authenticate(registry, report.GatewayId, report.KeyId, message.Report, message.Signature, now, out rejection);
                rejection ??= CheckTask(report, catalog)
                    ?? CheckMetrics(report)
                    ?? await CheckModelAndDuplicatesAsync(report, cancellationToken);
            }

            if (rejection is not null)
            {
                var rejected = new EvaluationRejected(report?.ModelVersion, report?.GatewayId, rejection.Reason, rejection.Detail, message.Report, message.Signature, now);
                await history.AppendAsync(EventStreams.Evaluations(task), ExpectedVersion.Any, rejected, cancellationToken);
                return (report, rejection);
            }

            var recorded = new EvaluationRecorded(report!.ModelVersion, report.GatewayId, report.KeyId, report.Metrics, message.Report, message.Signature, now);
            await history.AppendAsync(EventStreams.Evaluations(task), ExpectedVersion.Any, recorded, cancellationToken);
            if (catalog.Find(task)?.Created.Evaluation.Gate is { } releaseGate)
            {
                await releases.DecideAsync(task, releaseGate, report.ModelVersion, report.ModelSha256, now, cancellationToken);
            }

            return (report, rejection);
        }, cancellationToken);
        if (rejection is not null)
        {
            logger.LogWarning("Rejected an evaluation report from {Gateway}: {Reason}: {Detail}", report?.GatewayId ?? "?", rejection.Reason, rejection.Detail);
        }
    }

    private static string TaskOf(EvaluationReport report) => report.Task ?? TaskIds.Default;


    // Task default is known before its creation is recorded: its streams are older than tasks.
    private static bool IsKnown(string task, TaskCatalog catalog) => task == TaskIds.Default || catalog.Find(task) is not null;

    private static Rejection? CheckTask(EvaluationReport report, TaskCatalog catalog) =>
        IsKnown(TaskOf(report), catalog)
            ? null
            : new Rejection(RejectionReason.UnknownModelVersion, $"Task '{report.Task}' does not exist, so it has no model version {report.ModelVersion}.");

    private async Task<Rejection?> CheckModelAndDuplicatesAsync(EvaluationReport report, CancellationToken cancellationToken)
    {
        var task = TaskOf(report);
        var alreadyReported = await history.ReadStreamAsync(EventStreams.Evaluations(task), cancellationToken)
            .Select(entry => entry.Event).OfType<EvaluationRecorded>()
            .AnyAsync(recorded => recorded.ModelVersion == report.ModelVersion && recorded.GatewayId == report.GatewayId, cancellationToken);
        if (alreadyReported)
        {
            return new Rejection(RejectionReason.DuplicateContribution, $"Gateway '{report.GatewayId}' already has a recorded evaluation of model version {report.ModelVersion} of task '{task}'.");
        }

        await foreach (var entry in history.ReadStreamAsync(EventStreams.Models(task), cancellationToken))
        {
            if (entry.Event is ModelVersionPublished published && published.Version == report.ModelVersion)
            {
                return published.ModelSha256 == report.ModelSha256
                    ? null
                    : new Rejection(RejectionReason.UnknownModelVersion, $"Model version {report.ModelVersion} of task '{task}' is {published.ModelSha256}, not {report.ModelSha256}.");
            }
        }

        return new Rejection(RejectionReason.UnknownModelVersion, $"Model version {report.ModelVersion} of task '{task}' has not been published.");
    }

    private static Rejection? CheckMetrics(EvaluationReport report)
    {
        if (report.Metrics.Any(metric => metric is null))
        {
            return new Rejection(RejectionReason.InvalidMetrics, "The report lists a null metric.");
        }

        var bad = report.Metrics.FirstOrDefault(metric =>
            string.IsNullOrWhiteSpace(metric.Name)
            || !double.IsFinite(metric.Value) || Math.Abs(metric.Value) > MaxMetricValue
            || (metric.Name == "accuracy" && metric.Value is < 0 or > 1)
            || metric.SampleCount is <= 0 or > MaxSampleCount);
        if (bad is not null)
        {
            return new Rejection(
                RejectionReason.InvalidMetrics,
                $"Metric '{bad.Name}' ({bad.Slice ?? "all"}) has value {bad.Value} over {bad.SampleCount} samples; values must be finite and at most {MaxMetricValue:G} in size (accuracy within [0, 1]), counts between 1 and {MaxSampleCount}.");
        }

        var repeated = report.Metrics.GroupBy(metric => (metric.Name, metric.Slice)).FirstOrDefault(group => group.Count() > 1);
        return repeated is null
            ? null
            : new Rejection(RejectionReason.InvalidMetrics, $"Metric '{repeated.Key.Name}' ({repeated.Key.Slice ?? "all"}) is reported more than once.");
    }
}
