using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Gateway.Evaluation;

/// <summary>Every gateway in this process evaluates a newly published model and reports the result.</summary>
public sealed class ModelPublishedConsumer(IEnumerable<GatewayNode> gateways, ILogger<ModelPublishedConsumer> logger)
    : IConsumer<ModelPublished>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<ModelPublished> context)
    {
        var model = context.Message;
        var reports = await Task.WhenAll(gateways.Select(gateway => Task.Run(() => TryEvaluate(gateway, model))));
        foreach (var report in reports.OfType<EvaluationReported>())
        {
            await context.Publish(report, context.CancellationToken);
        }
    }

    private EvaluationReported? TryEvaluate(GatewayNode gateway, ModelPublished model)
    {
        try
        {
            return gateway.Evaluate(model);
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException)
        {
            logger.LogError("Gateway {Gateway} does not evaluate model version {Version}: {Reason}", gateway.Id, model.Version, error.Message);
            return null;
        }
    }
}
