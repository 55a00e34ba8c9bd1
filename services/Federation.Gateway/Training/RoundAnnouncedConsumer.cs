using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Gateway.Training;

/// <summary>
/// Every invited gateway in this process trains on the announced round and submits its update, once per
/// round: a repeated announcement of a round it has already contributed to is ignored.
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
            logger.LogInformation("Gateway {Gateway} has already contributed to round {Round}; ignoring the repeated announcement", gateway.Id, round.Round);
        }

        try
        {
            // Gateways in one process train side by side; each is independent of the others.
            var contributions = await Task.WhenAll(claimed.Select(gateway => Task.Run(() => (gateway, Contribution: TryContribute(gateway, round)))));
            foreach (var (gateway, contribution) in contributions)
            {
                if (contribution is not null)
                {
                    await context.Publish(contribution, context.CancellationToken);
                    gateway.Rounds.Complete(round.Round);
                }
            }
        }
        finally
        {
            // A gateway whose update was not sent may try again when the announcement is redelivered.
            foreach (var gateway in claimed)
            {
                gateway.Rounds.Abandon(round.Round);
            }
        }
    }

    private ContributionSubmitted? TryContribute(GatewayNode gateway, RoundAnnounced round)
    {
        try
        {
            var contribution = gateway.Contribute(round);
            logger.LogInformation("Gateway {Gateway} submits its update for round {Round}", gateway.Id, round.Round);
            return contribution;
        }
        catch (Exception error) when (error is InvalidDataException or ArgumentException or FormatException)
        {
            // A bad announcement must not take the gateway down; it sits this round out.
            logger.LogError("Gateway {Gateway} skips round {Round}: {Reason}", gateway.Id, round.Round, error.Message);
            return null;
        }
    }
}
