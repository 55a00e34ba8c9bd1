using Federation.Aggregator.Contributions;
using Federation.Aggregator.Enrolment;
using Federation.Aggregator.History;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.EventStore;
using Microsoft.Extensions.Logging;

namespace Federation.Aggregator.Evaluations;

/// <summary>Verifies gateways' signed evaluation reports and records each as recorded or rejected.</summary>
public sealed class EvaluationRecorder(EventHistory history, EnrolledGateways gateways, TimeProvider clock, ILogger<EvaluationRecorder> logger)
{
    /// <summary>Checks a report and appends the outcome to the evaluations stream. Never throws for bad input.</summary>
    public async Task RecordAsync(EvaluationReported message, CancellationToken cancellationToken)
    {
        var report = SignedDocument.Parse<EvaluationReport>(message.Report, DocumentTypes.EvaluationReport, document => document.Type, out var rejection);
        if (report is not null)
        {
            rejection = SignedDocument.Authenticate(gateways, report.GatewayId, report.KeyId, message.Report, message.Signature)
                ?? await CheckModelAsync(report, cancellationToken)
                ?? CheckMetrics(report);
        }

        var now = clock.GetUtcNow();
        IFederationEvent outcome = rejection is null
            ? new EvaluationRecorded(report!.ModelVersion, report.GatewayId, report.KeyId, report.Metrics, message.Report, message.Signature, now)
            : new EvaluationRejected(report?.ModelVersion, report?.GatewayId, rejection.Reason, rejection.Detail, message.Report, message.Signature, now);
        await history.AppendAsync(EventStreams.Evaluations, ExpectedVersion.Any, outcome, cancellationToken);
        if (rejection is not null)
        {
            logger.LogWarning("Rejected an evaluation report from {Gateway}: {Reason}: {Detail}", report?.GatewayId ?? "?", rejection.Reason, rejection.Detail);
        }
    }

    private async Task<Rejection?> CheckModelAsync(EvaluationReport report, CancellationToken cancellationToken)
    {
        await foreach (var entry in history.ReadStreamAsync(EventStreams.Models, cancellationToken))
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
        var bad = report.Metrics.FirstOrDefault(metric => !double.IsFinite(metric.Value) || metric.SampleCount <= 0 || string.IsNullOrWhiteSpace(metric.Name));
        return bad is null
            ? null
            : new Rejection(RejectionReason.InvalidMetrics, $"Metric '{bad.Name}' has value {bad.Value} over {bad.SampleCount} samples; values must be finite and counts positive.");
    }
}
