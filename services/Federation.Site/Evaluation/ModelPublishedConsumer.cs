using Federation.Contracts.Messages;
using Federation.Learning.Tensors;
using Federation.Site.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Site.Evaluation;

/// <summary>
/// Every gateway in this process evaluates a newly published model once, fetched by its hash
/// (<see cref="GatewayModelFiles"/>), and puts its signed report in its outbox when the policy allows (or records the
/// refusal). A repeated announcement of a version of the same task it has already decided on is ignored. A v1
/// announcement (model inline, no task) still waiting in the queue is read as one of task <c>default</c>.
/// </summary>
public sealed class ModelPublishedConsumer(IEnumerable<GatewayNode> gateways, GatewayModelFiles models, ILogger<ModelPublishedConsumer> logger)
    : IConsumer<ModelPublishedV2>, IConsumer<ModelPublished>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ModelPublishedV2> context)
    {
        var model = context.Message;
        return DecideAsync(model, (gateway, cancellationToken) => models.For(gateway).ReadAsync(model.Model, cancellationToken), context.CancellationToken);
    }

    /// <inheritdoc />
    public Task Consume(ConsumeContext<ModelPublished> context)
    {
        var old = context.Message;
        return DecideAsync(
            AnnouncedModel.Upcast(old),
            (_, _) => Task.FromResult(AnnouncedModel.Read(old.Model, old.ModelSha256, $"Model version {old.Version}")),
            context.CancellationToken);
    }

    private async Task DecideAsync(ModelPublishedV2 model, Func<GatewayNode, CancellationToken, Task<TensorSet>> parameters, CancellationToken cancellationToken)
    {
        var here = gateways.ToList();
        var claimed = here.Where(gateway => gateway.Models(model.Task).TryBegin(model.Version)).ToList();
        foreach (var gateway in here.Except(claimed))
        {
            logger.LogInformation("Gateway {Gateway} has already decided on model version {Version} of task {Task}; ignoring the repeated announcement", gateway.Id, model.Version, model.Task);
        }

        try
        {
            var results = await Task.WhenAll(claimed.Select(gateway => Task.Run(async () => (gateway, Result: await TryEvaluateAsync(gateway, model, parameters, cancellationToken)))));
            foreach (var (gateway, _) in results.Where(pair => pair.Result is not null))
            {
                gateway.Models(model.Task).Complete(model.Version);
            }
        }
        finally
        {
            // A gateway that decided nothing may try again when the announcement is redelivered.
            foreach (var gateway in claimed)
            {
                gateway.Models(model.Task).Abandon(model.Version);
            }
        }
    }

    private async Task<ReleaseResult<EvaluationReported>?> TryEvaluateAsync(
        GatewayNode gateway, ModelPublishedV2 model, Func<GatewayNode, CancellationToken, Task<TensorSet>> parameters, CancellationToken cancellationToken)
    {
        try
        {
            var result = gateway.Evaluate(model, await parameters(gateway, cancellationToken));
            if (!result.Allowed)
            {
                logger.LogWarning("Gateway {Gateway} refuses to report on model version {Version} of task {Task} (decision {Decision}): {Reason}", gateway.Id, model.Version, model.Task, result.DecisionId, result.Reason);
            }

            return result;
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException or InvalidOperationException or HttpRequestException or IOException)
        {
            logger.LogError("Gateway {Gateway} does not evaluate model version {Version} of task {Task}: {Reason}", gateway.Id, model.Version, model.Task, error.Message);
            return null;
        }
    }
}
