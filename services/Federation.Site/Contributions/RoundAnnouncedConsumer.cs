using Federation.Contracts.Messages;
using Federation.Learning.Tensors;
using Federation.Site.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Site.Contributions;

/// <summary>
/// Every invited gateway in this process decides on the announced round once: it fetches the base model by its hash
/// (<see cref="GatewayModelFiles"/>), trains and puts its signed update in its outbox when the policy allows, or records
/// the refusal. A repeated announcement of a round of the same task it has already decided on is ignored. A v1
/// announcement (model inline, no task) still waiting in the queue is read as one of task <c>default</c>. The outbox
/// sender, not this consumer, puts the update on the bus.
/// </summary>
public sealed class RoundAnnouncedConsumer(IEnumerable<GatewayNode> gateways, GatewayModelFiles models, ILogger<RoundAnnouncedConsumer> logger)
    : IConsumer<RoundAnnouncedV2>, IConsumer<RoundAnnounced>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<RoundAnnouncedV2> context)
    {
        var round = context.Message;
        return DecideAsync(round, (gateway, cancellationToken) => models.For(gateway).ReadAsync(round.BaseModel, cancellationToken), context.CancellationToken);
    }

    /// <inheritdoc />
    public Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var old = context.Message;
        return DecideAsync(
            AnnouncedModel.Upcast(old),
            (_, _) => Task.FromResult(AnnouncedModel.Read(old.BaseModel, old.BaseModelSha256, $"Round {old.Round}'s base model")),
            context.CancellationToken);
    }

    private async Task DecideAsync(RoundAnnouncedV2 round, Func<GatewayNode, CancellationToken, Task<TensorSet>> baseModel, CancellationToken cancellationToken)
    {
        var invited = gateways.Where(gateway => round.Invited.Contains(gateway.Id)).ToList();
        var claimed = invited.Where(gateway => gateway.Rounds(round.Task).TryBegin(round.Round)).ToList();
        foreach (var gateway in invited.Except(claimed))
        {
            // Debug, not information: the aggregator repeats an open round's announcement every minute or so.
            logger.LogDebug("Gateway {Gateway} has decided, or is deciding, on round {Round} of task {Task}; ignoring the repeated announcement", gateway.Id, round.Round, round.Task);
        }

        try
        {
            // Gateways in one process train side by side; each is independent of the others.
            var results = await Task.WhenAll(claimed.Select(gateway => Task.Run(async () => (gateway, Result: await TryContributeAsync(gateway, round, baseModel, cancellationToken)))));
            foreach (var (gateway, _) in results.Where(pair => pair.Result is not null))
            {
                gateway.Rounds(round.Task).Complete(round.Round);
            }
        }
        finally
        {
            // A gateway that decided nothing (the announcement or its model was unusable) may try again on a repeat.
            foreach (var gateway in claimed)
            {
                gateway.Rounds(round.Task).Abandon(round.Round);
            }
        }
    }

    private async Task<ReleaseResult<ContributionSubmitted>?> TryContributeAsync(
        GatewayNode gateway, RoundAnnouncedV2 round, Func<GatewayNode, CancellationToken, Task<TensorSet>> baseModel, CancellationToken cancellationToken)
    {
        try
        {
            var model = await baseModel(gateway, cancellationToken);
            var result = gateway.Contribute(round, model);
            if (result.Allowed)
            {
                logger.LogInformation("Gateway {Gateway} releases its update for round {Round} of task {Task} (decision {Decision}, message {MessageId})", gateway.Id, round.Round, round.Task, result.DecisionId, result.MessageId);
            }
            else
            {
                logger.LogWarning("Gateway {Gateway} refuses to release an update for round {Round} of task {Task} (decision {Decision}): {Reason}", gateway.Id, round.Round, round.Task, result.DecisionId, result.Reason);
            }

            return result;
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException or InvalidOperationException or HttpRequestException or IOException)
        {
            // A bad announcement, a model that is not the one announced or a failed download must not take the gateway
            // down; it trains nothing, and a repeat of the announcement tries again.
            logger.LogError("Gateway {Gateway} skips round {Round} of task {Task}: {Reason}", gateway.Id, round.Round, round.Task, error.Message);
            return null;
        }
    }
}
