using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Gateway.Evaluation;

/// <summary>
/// Every gateway in this process evaluates a newly published model and reports the result, once per
/// version: a repeated announcement of a version it has already evaluated is ignored.
/// </summary>
public sealed class ModelPublishedConsumer(IEnumerable<GatewayNode> gateways, ILogger<ModelPublishedConsumer> logger)
    : IConsumer<ModelPublished>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<ModelPublished> context)
    {
        var model = context.Message;
        var here = gateways.ToList();
        var claimed = here.Where(gateway => gateway.Models.TryBegin(model.Version)).ToList();
        foreach (var gateway in here.Except(claimed))
        {
            logger.LogInformation("Gateway {Gateway} has already evaluated model version {Version}; ignoring the repeated announcement", gateway.Id, model.Version);
        }

        try
        {
            var reports = await Task.WhenAll(claimed.Select(gateway => Task.Run(() => (gateway, Report: TryEvaluate(gateway, model)))));
            foreach (var (gateway, report) in reports)
            {
                if (report is not null)
                {
                    await context.Publish(report, context.CancellationToken);
                    gateway.Models.Complete(model.Version);
                }
            }
        }
        finally
        {
            // A gateway whose report was not sent may try again when the announcement is redelivered.
            foreach (var gateway in claimed)
            {
                gateway.Models.Abandon(model.Version);
            }
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
