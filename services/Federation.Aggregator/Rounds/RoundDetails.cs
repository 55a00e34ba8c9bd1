using Federation.Aggregator.History;
using Federation.Contracts.Events;

namespace Federation.Aggregator.Rounds;

/// <summary>Everything recorded about one round: how it opened, every contribution, how it closed, what it produced.</summary>
/// <param name="Opened">The opening event.</param>
/// <param name="Accepted">Accepted contributions, in order.</param>
/// <param name="Rejected">Rejected contributions with their reasons, in order.</param>
/// <param name="Closed">The closing event, or null while open.</param>
/// <param name="Model">The model version the round produced, if any.</param>
public sealed record RoundDetails(
    RoundOpened Opened,
    IReadOnlyList<ContributionAccepted> Accepted,
    IReadOnlyList<ContributionRejected> Rejected,
    RoundClosed? Closed,
    ModelVersionPublished? Model)
{
    /// <summary>Reads round <paramref name="round"/> from the history; null when it does not exist.</summary>
    public static async Task<RoundDetails?> ReadAsync(EventHistory history, int round, CancellationToken cancellationToken = default)
    {
        var events = await history.ReadStreamAsync(EventStreams.Round(round), cancellationToken).Select(entry => entry.Event).ToListAsync(cancellationToken);
        if (events.FirstOrDefault() is not RoundOpened opened)
        {
            return null;
        }

        var model = await history.ReadStreamAsync(EventStreams.Models, cancellationToken)
            .Select(entry => entry.Event).OfType<ModelVersionPublished>()
            .FirstOrDefaultAsync(published => published.Round == round, cancellationToken);
        return new RoundDetails(
            opened,
            events.OfType<ContributionAccepted>().ToList(),
            events.OfType<ContributionRejected>().ToList(),
            events.OfType<RoundClosed>().SingleOrDefault(),
            model);
    }
}
