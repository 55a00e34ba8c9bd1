using Federation.Contracts.Tasks;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;

namespace Federation.Audit.ReadModels;

/// <summary>Reads <see cref="RoundDetails"/> from the history.</summary>
public static class RoundDetailsQuery
{
    /// <summary>Reads round <paramref name="round"/> of <paramref name="task"/> from the history; null when it does not exist.</summary>
    public static async Task<RoundDetails?> ReadAsync(EventHistory history, string task, int round, CancellationToken cancellationToken = default)
    {
        var events = await history.ReadStreamAsync(EventStreams.Round(task, round), cancellationToken).Select(entry => entry.Event).ToListAsync(cancellationToken);
        if (events.FirstOrDefault() is not RoundOpened opened)
        {
            return null;
        }

        var model = await history.ReadStreamAsync(EventStreams.Models(task), cancellationToken)
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
