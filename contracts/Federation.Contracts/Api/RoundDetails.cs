using Federation.Contracts.Events;

namespace Federation.Contracts.Api;

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
    ModelVersionPublished? Model);
