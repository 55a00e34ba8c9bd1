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
using Federation.EventStore;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Evaluations;

/// <summary>
/// Verifies gateways' signed evaluation reports and records each as recorded or rejected. Values
/// and counts are bounded, so no report can make the metric projections overflow, and each
/// gateway counts once per model version.
/// </summary>
public sealed class EvaluationRecorder(EventHistory history, GatewayKeys keys, DecisionGate gate, TimeProvider clock, ILogger<EvaluationRecorder> logger)
{
    /// <summary>The largest sample count one metric may claim.</summary>
    public const long MaxSampleCount = 1L << 40;

    /// <summary>The largest magnitude a metric value may have (accuracy is further held to [0, 1]).</summary>
    public const double MaxMetricValue = 1e9;

    /// <summary>Checks a report and appends the outcome to the evaluations stream. Never throws for bad input.</summary>
    public async Task RecordAsync(EvaluationReported message, CancellationToken cancellationToken)
    {
        message = message with { Report = message.Report ?? "", Signature = message.Signature ?? "" };
        // Judged and appended in the decision gate, so no key change lands between the two.
        await keys.RegistryAsync(cancellationToken);
        var (report, rejection) = await gate.RunAsync(async () =>
        {
            var (registry, now) = (keys.Registry, clock.GetUtcNow());
            var report = SignedDocument.Parse<EvaluationReport>(message.Report, DocumentTypes.EvaluationReport, document => document.Type, out var rejection);
            if (report is not null)
            {
                SignedDocument.Authenticate(registry, report.GatewayId, report.KeyId, message.Report, message.Signature, now, out rejection);
                rejection ??= CheckMetrics(report)
                    ?? await CheckModelAndDuplicatesAsync(report, cancellationToken);
            }

            IFederationEvent outcome = rejection is null
                ? new EvaluationRecorded(report!.ModelVersion, report.GatewayId, report.KeyId, report.Metrics, message.Report, message.Signature, now)
                : new EvaluationRejected(report?.ModelVersion, report?.GatewayId, rejection.Reason, rejection.Detail, message.Report, message.Signature, now);
            await history.AppendAsync(EventStreams.Evaluations(TaskIds.Default), ExpectedVersion.Any, outcome, cancellationToken);
            return (report, rejection);
        }, cancellationToken);
        if (rejection is not null)
        {
            logger.LogWarning("Rejected an evaluation report from {Gateway}: {Reason}: {Detail}", report?.GatewayId ?? "?", rejection.Reason, rejection.Detail);
        }
    }

    private async Task<Rejection?> CheckModelAndDuplicatesAsync(EvaluationReport report, CancellationToken cancellationToken)
    {
        var alreadyReported = await history.ReadStreamAsync(EventStreams.Evaluations(TaskIds.Default), cancellationToken)
            .Select(entry => entry.Event).OfType<EvaluationRecorded>()
            .AnyAsync(recorded => recorded.ModelVersion == report.ModelVersion && recorded.GatewayId == report.GatewayId, cancellationToken);
        if (alreadyReported)
        {
            return new Rejection(RejectionReason.DuplicateContribution, $"Gateway '{report.GatewayId}' already has a recorded evaluation of model version {report.ModelVersion}.");
        }

        await foreach (var entry in history.ReadStreamAsync(EventStreams.Models(TaskIds.Default), cancellationToken))
        {
            if (entry.Event is ModelVersionPublished published && published.Version == report.ModelVersion)
            {
                return published.ModelSha256 == report.ModelSha256
                    ? null
                    : new Rejection(RejectionReason.UnknownModelVersion, $"Model version {report.ModelVersion} is {published.ModelSha256}, not {report.ModelSha256}.");
            }
        }

        return new Rejection(RejectionReason.UnknownModelVersion, $"Model version {report.ModelVersion} has not been published.");
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
