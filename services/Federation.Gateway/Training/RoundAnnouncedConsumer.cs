using Federation.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Gateway.Training;

/// <summary>Every invited gateway in this process trains on the announced round and submits its update.</summary>
public sealed class RoundAnnouncedConsumer(IEnumerable<GatewayNode> gateways, ILogger<RoundAnnouncedConsumer> logger)
    : IConsumer<RoundAnnounced>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var round = context.Message;
        var invited = gateways.Where(gateway => round.Invited.Contains(gateway.Id)).ToList();

        // Gateways in one process train side by side; each is independent of the others.
        var contributions = await Task.WhenAll(invited.Select(gateway => Task.Run(() => TryContribute(gateway, round))));
        foreach (var contribution in contributions.OfType<ContributionSubmitted>())
        {
            await context.Publish(contribution, context.CancellationToken);
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
