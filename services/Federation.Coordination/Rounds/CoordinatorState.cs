using System.Collections.Immutable;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Coordination.Models;

namespace Federation.Coordination.Rounds;

/// <summary>
/// What one task's round coordinator decides from, folded from that task's streams of the history: the latest round,
/// the sequence numbers and bus message ids already accepted, and the latest model. Events of other tasks' streams
/// leave it unchanged, so tasks never see each other's rounds. Immutable, so a decision always sees one consistent state.
/// </summary>
/// <param name="Task">The task whose rounds and models this state follows.</param>
/// <param name="Round">The latest round, or null before the first.</param>
/// <param name="RoundsClosed">Rounds closed over the federation's history.</param>
/// <param name="HighestSequences">The highest sequence number accepted from each gateway.</param>
/// <param name="AcceptedMessageIds">Bus message ids whose contributions were accepted (redeliveries change nothing).</param>
/// <param name="LatestModel">The latest model version event.</param>
/// <param name="ModelsStreamVersion">Events in the models stream, for the next expected-version append.</param>
/// <param name="Model">
/// The latest model with its layout. Its layout is read from the payload store, not from the event, so the fold
/// clears it at every model event and the caller sets it (<c>state with { Model = … }</c>).
/// </param>
public sealed record CoordinatorState(
    string Task,
    RoundState? Round,
    int RoundsClosed,
    ImmutableDictionary<string, long> HighestSequences,
    ImmutableHashSet<Guid> AcceptedMessageIds,
    ModelVersionPublished? LatestModel,
    long ModelsStreamVersion,
    ModelVersion? Model)
{
    /// <summary>The state of task <paramref name="task"/> in an empty history.</summary>
    public static CoordinatorState Empty(string task) =>
        new(task, null, 0, ImmutableDictionary.Create<string, long>(StringComparer.Ordinal), [], null, 0, null);

    /// <summary>The state after one more event read from the history.</summary>
    public CoordinatorState Apply(HistoryEntry entry) =>
        Apply(entry.Recorded.StreamId, entry.Recorded.StreamVersion, entry.Event, entry.Recorded.Metadata.CausationId);

    /// <summary>The state after one more event, appended to <paramref name="streamId"/> at <paramref name="streamVersion"/>.</summary>
    /// <param name="streamId">The event's stream.</param>
    /// <param name="streamVersion">Its version in that stream.</param>
    /// <param name="event">The event.</param>
    /// <param name="causationId">The bus message that caused it, if any.</param>
    public CoordinatorState Apply(string streamId, long streamVersion, IFederationEvent @event, Guid? causationId)
    {
        if (EventStreams.TaskOf(streamId) != Task)
        {
            return this;
        }

        var state = @event is ContributionAccepted accepted ? Count(accepted, causationId) : this;
        return @event switch
        {
            ModelVersionPublished published => state with { LatestModel = published, ModelsStreamVersion = streamVersion, Model = null },
            RoundOpened opened => state with { Round = RoundState.Start(opened) },
            var roundEvent when Round is not null && streamId == EventStreams.Round(Task, Round.Round) => state with
            {
                Round = Round.Apply(roundEvent),
                RoundsClosed = RoundsClosed + (roundEvent is RoundClosed ? 1 : 0),
            },
            _ => state,
        };
    }

    private CoordinatorState Count(ContributionAccepted accepted, Guid? causationId) => this with
    {
        HighestSequences = HighestSequences.SetItem(accepted.GatewayId, Math.Max(HighestSequences.GetValueOrDefault(accepted.GatewayId), accepted.Sequence)),
        AcceptedMessageIds = causationId is { } messageId ? AcceptedMessageIds.Add(messageId) : AcceptedMessageIds,
    };
}
