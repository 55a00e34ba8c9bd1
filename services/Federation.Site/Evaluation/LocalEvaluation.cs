using System.Text;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;

namespace Federation.Site.Evaluation;

/// <summary>Evaluates a published model on the gateway's held-out data and, when the policy allows, signs the aggregate result.</summary>
public static class LocalEvaluation
{
    /// <summary>
    /// Computes aggregate accuracy and loss, each with its sample count, over all held-out samples and per class (a
    /// slice such as "class=3"); passes them through the policy (<see cref="MetricsRelease"/>); records the decision;
    /// and when allowed signs a report of the released metrics and puts it in the outbox.
    /// </summary>
    /// <param name="gateway">The gateway.</param>
    /// <param name="model">The publication.</param>
    /// <param name="task">
    /// The model's task, from its publication; <see cref="TaskIds.Default"/> for one without. A task the policy does not
    /// name is refused (and recorded) before the held-out data is read.
    /// </param>
    /// <exception cref="InvalidDataException">The published model does not match its announced hash.</exception>
    /// <exception cref="SafeTensorsFormatException">The published model is not readable.</exception>
    public static ReleaseResult<EvaluationReported> Evaluate(this GatewayNode gateway, ModelPublished model, string task = TaskIds.Default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = AnnouncedModel.Read(model.Model, model.ModelSha256, $"Model version {model.Version}");
        return gateway.Evaluate(AnnouncedModel.Upcast(model) with { Task = task }, parameters);
    }

    /// <summary>
    /// As <see cref="Evaluate(GatewayNode, ModelPublished, string)"/>, for a model version of any task that the caller has
    /// fetched and checked against <see cref="ModelPublishedV2.Model"/>. The report names the task, except for task
    /// <c>default</c>, whose reports keep the v1 bytes.
    /// </summary>
    public static ReleaseResult<EvaluationReported> Evaluate(this GatewayNode gateway, ModelPublishedV2 model, TensorSet parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        var ledger = GatewayState.ModelsLedgerOf(model.Task);
        var subject = AnnouncedModel.Subject(model.Task, $"model v{model.Version}");
        var task = model.Task;
        var now = gateway.Now();
        if (PolicyEvaluator.RefuseUnnamedTask<ReleasedMetrics>(gateway.Policy.Policy, gateway.Policy.Hash, ReleaseKind.EvaluationMetrics, task, now) is { } unnamed)
        {
            long unnamedId = gateway.State.RecordDenied(DecisionDraft.From(unnamed, subject), ledger, model.Version);
            return new ReleaseResult<EvaluationReported>(unnamedId, unnamed.Reason, null, null);
        }

        var trainer = gateway.Trainers.For(task);
        IReadOnlyList<MetricValue> metrics;
        try
        {
            metrics = trainer.Evaluate(parameters);
        }
        catch (LocalTrainingException error)
        {
            // The published model does not fit this site's data (e.g. a press-fit model at a photo site), or the
            // trainer's own evaluation failed: nothing to report.
            var policy = gateway.Policy;
            var refused = new DecisionDraft(
                now, ReleaseKind.EvaluationMetrics.ToName(), subject, policy.Policy.Id, policy.Policy.Version, policy.Hash, false, error.Message,
                [new PolicyCheck(HoldoutCheck, false, $"trainer {trainer.Source}: {error.Message}")]);
            long refusedId = gateway.State.RecordDenied(refused, ledger, model.Version);
            return new ReleaseResult<EvaluationReported>(refusedId, error.Message, null, null);
        }

        var (decision, released, dropped) = MetricsRelease.Decide(gateway.Policy, metrics, gateway.AggregatorKeyId, now, subject, task);
        if (released is null)
        {
            long denied = gateway.State.RecordDenied(decision, ledger, model.Version);
            return new ReleaseResult<EvaluationReported>(denied, decision.Reason, null, null);
        }

        var report = Report(gateway, model, released, dropped, now);
        var (json, signature) = gateway.Sign(report);
        var messageId = Guid.CreateVersion7(now);
        var entry = new OutboxEntry(messageId, OutboxKinds.Evaluation, json, signature, null, now, 0);
        long id = gateway.State.RecordReleased(decision, ledger, model.Version, entry, Sha256Hex.Of(Encoding.UTF8.GetBytes(json)), null, null);
        return new ReleaseResult<EvaluationReported>(id, null, new EvaluationReported(json, signature), messageId);
    }

    /// <summary>
    /// The report in the oldest version that says it all: v1 for task <c>default</c>, v2 naming another task, v3 when a
    /// slice was dropped. An aggregator from before v3 rejects a v3 as malformed, so aggregators are upgraded before
    /// their gateways (docs/FORMATS.md).
    /// </summary>
    private static EvaluationReport Report(GatewayNode gateway, ModelPublishedV2 model, IReadOnlyList<MetricValue> released, IReadOnlyList<string> dropped, DateTimeOffset now)
    {
        var report = new EvaluationReport(DocumentTypes.EvaluationReport, gateway.Id, gateway.KeyId, model.Version, model.Model.Sha256, released, now);
        return (dropped.Count > 0, AnnouncedModel.IsDefault(model.Task)) switch
        {
            (true, _) => report with { Type = DocumentTypes.EvaluationReportV3, Task = model.Task, DroppedSlices = dropped },
            (false, false) => report with { Type = DocumentTypes.EvaluationReportV2, Task = model.Task },
            _ => report,
        };
    }

    /// <summary>The decision record's name for the gateway's own check that its held-out data fits the published model.</summary>
    public const string HoldoutCheck = "local-holdout";
}
