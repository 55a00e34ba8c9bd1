using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Site.Evaluation;

/// <summary>
/// Every gateway in this process evaluates a newly published model once and puts its signed report in its outbox when
/// the policy allows (or records the refusal). A repeated announcement of a version it has already decided on is ignored.
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
            logger.LogInformation("Gateway {Gateway} has already decided on model version {Version}; ignoring the repeated announcement", gateway.Id, model.Version);
        }

        try
        {
            var results = await Task.WhenAll(claimed.Select(gateway => Task.Run(() => (gateway, Result: TryEvaluate(gateway, model)))));
            foreach (var (gateway, _) in results.Where(pair => pair.Result is not null))
            {
                gateway.Models.Complete(model.Version);
            }
        }
        finally
        {
            // A gateway that decided nothing may try again when the announcement is redelivered.
            foreach (var gateway in claimed)
            {
                gateway.Models.Abandon(model.Version);
            }
        }
    }

    private ReleaseResult<EvaluationReported>? TryEvaluate(GatewayNode gateway, ModelPublished model)
    {
        try
        {
            var result = gateway.Evaluate(model);
            if (!result.Allowed)
            {
                logger.LogWarning("Gateway {Gateway} refuses to report on model version {Version} (decision {Decision}): {Reason}", gateway.Id, model.Version, result.DecisionId, result.Reason);
            }

            return result;
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException)
        {
            logger.LogError("Gateway {Gateway} does not evaluate model version {Version}: {Reason}", gateway.Id, model.Version, error.Message);
            return null;
        }
    }
}
