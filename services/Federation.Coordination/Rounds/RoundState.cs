using Federation.Contracts.Events;

namespace Federation.Coordination.Rounds;

/// <summary>A round as folded from its stream: what was opened, what was accepted, whether it closed.</summary>
/// <param name="Opened">The opening event.</param>
/// <param name="Accepted">Accepted contributions, in the order they were accepted.</param>
/// <param name="RejectedCount">Rejected contributions.</param>
/// <param name="Closed">The closing event, or null while open.</param>
/// <param name="StreamVersion">Events in the round's stream, for the next expected-version append.</param>
public sealed record RoundState(
    RoundOpened Opened,
    IReadOnlyList<ContributionAccepted> Accepted,
    int RejectedCount,
    RoundClosed? Closed,
    long StreamVersion)
{
    /// <summary>The round number.</summary>
    public int Round => Opened.Round;

    /// <summary>
    /// The accepted contributions in the order the strategy combines them: by gateway id
    /// (ordinal), so the new model does not depend on the order in which updates arrived —
    /// a federation over a real network gives the same bytes as one in a single process.
    /// </summary>
    public IReadOnlyList<ContributionAccepted> AggregationOrder =>
        [.. Accepted.OrderBy(accepted => accepted.GatewayId, StringComparer.Ordinal)];

    /// <summary>True until the round closes.</summary>
    public bool IsOpen => Closed is null;

    /// <summary>Starts a round's state from its opening event.</summary>
    public static RoundState Start(RoundOpened opened) => new(opened, [], 0, null, 1);

    /// <summary>The state after one more event of this round.</summary>
    public RoundState Apply(IFederationEvent @event) => @event switch
    {
        ContributionAccepted accepted => this with { Accepted = [.. Accepted, accepted], StreamVersion = StreamVersion + 1 },
        ContributionRejected => this with { RejectedCount = RejectedCount + 1, StreamVersion = StreamVersion + 1 },
        RoundClosed closed => this with { Closed = closed, StreamVersion = StreamVersion + 1 },
        _ => throw new InvalidDataException($"{@event.GetType().Name} does not belong in round {Round}'s stream."),
    };
}
