using Federation.Contracts.Messages;
using MassTransit;

namespace Federation.Coordination.Evaluations;

/// <summary>Hands received evaluation reports to the <see cref="EvaluationRecorder"/>.</summary>
public sealed class EvaluationReportedConsumer(EvaluationRecorder recorder) : IConsumer<EvaluationReported>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<EvaluationReported> context) => recorder.RecordAsync(context.Message, context.CancellationToken);
}
