using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Site.Contributions;

/// <summary>
/// Every invited gateway in this process decides on the announced round once: it trains and puts its signed update in
/// its outbox when the policy allows, or records the refusal. A repeated announcement of a round it has already
/// decided on is ignored. The outbox sender, not this consumer, puts the update on the bus.
/// </summary>
public sealed class RoundAnnouncedConsumer(IEnumerable<GatewayNode> gateways, ILogger<RoundAnnouncedConsumer> logger)
    : IConsumer<RoundAnnounced>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var round = context.Message;
        var invited = gateways.Where(gateway => round.Invited.Contains(gateway.Id)).ToList();
        var claimed = invited.Where(gateway => gateway.Rounds.TryBegin(round.Round)).ToList();
        foreach (var gateway in invited.Except(claimed))
        {
            // Debug, not information: the aggregator repeats an open round's announcement every minute or so.
            logger.LogDebug("Gateway {Gateway} has decided, or is deciding, on round {Round}; ignoring the repeated announcement", gateway.Id, round.Round);
        }

        try
        {
            // Gateways in one process train side by side; each is independent of the others.
            var results = await Task.WhenAll(claimed.Select(gateway => Task.Run(() => (gateway, Result: TryContribute(gateway, round)))));
            foreach (var (gateway, result) in results.Where(pair => pair.Result is not null))
            {
                gateway.Rounds.Complete(round.Round);
            }
        }
        finally
        {
            // A gateway that decided nothing (the announcement was unusable) may try again on a redelivery.
            foreach (var gateway in claimed)
            {
                gateway.Rounds.Abandon(round.Round);
            }
        }
    }

    private ReleaseResult<ContributionSubmitted>? TryContribute(GatewayNode gateway, RoundAnnounced round)
    {
        try
        {
            var result = gateway.Contribute(round);
            if (result.Allowed)
            {
                logger.LogInformation("Gateway {Gateway} releases its update for round {Round} (decision {Decision}, message {MessageId})", gateway.Id, round.Round, result.DecisionId, result.MessageId);
            }
            else
            {
                logger.LogWarning("Gateway {Gateway} refuses to release an update for round {Round} (decision {Decision}): {Reason}", gateway.Id, round.Round, result.DecisionId, result.Reason);
            }

            return result;
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException)
        {
            // A bad announcement must not take the gateway down; it sits this round out.
            logger.LogError("Gateway {Gateway} skips round {Round}: {Reason}", gateway.Id, round.Round, error.Message);
            return null;
        }
    }
}
