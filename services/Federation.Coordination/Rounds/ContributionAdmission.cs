using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.Registry;
using Federation.Audit;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.EventStore;

namespace Federation.Coordination.Rounds;

/// <summary>What to append for a contribution: the event, its stream, and the version that stream must be at.</summary>
/// <param name="StreamId">The round's stream, or the unattributed stream for contributions no open round can claim.</param>
/// <param name="ExpectedVersion">The stream version the decision was made on (<see cref="ExpectedVersion.Any"/> for the unattributed stream).</param>
/// <param name="Event">The <see cref="ContributionAccepted"/> or <see cref="ContributionRejected"/>.</param>
/// <param name="Rejection">Why it was rejected, or null when accepted.</param>
public sealed record Admission(string StreamId, long ExpectedVersion, IFederationEvent Event, Rejection? Rejection);

/// <summary>
/// Whether the coordinator admits a contribution, as a pure function of its state, the key registry, the
/// contribution's facts and the time (the decider's <c>Decide(state, command)</c>). Every check runs here, once, in a
/// fixed order: the stateless ones (<see cref="ContributionChecks.Judge"/>), then the task, then replay, then the round's.
/// A contribution reaches the coordinator of the task its manifest names (no task: <see cref="TaskIds.Default"/>);
/// one naming a task the aggregator does not have reaches the default task's coordinator and is rejected here.
/// </summary>
public static class ContributionAdmission
{
    /// <summary>The largest sample count one contribution may claim; far above any site, far below overflow of the sums.</summary>
    public const long MaxSampleCount = 1L << 40;

    /// <summary>
    /// Decides what to record for <paramref name="contribution"/> received at <paramref name="now"/>, or null when
    /// nothing is to be recorded: the bus delivered an accepted message (<paramref name="messageId"/>) again.
    /// </summary>
    /// <param name="state">The coordinator's state; its <see cref="CoordinatorState.Model"/> must be set.</param>
    /// <param name="registry">The gateways and keys as they stand at the decision.</param>
    /// <param name="contribution">The facts established before the decision, payload examined.</param>
    /// <param name="messageId">The bus message's id, or null when it did not come off the bus.</param>
    /// <param name="now">The time the contribution is recorded as received.</param>
    public static Admission? Decide(CoordinatorState state, GatewayRegistry registry, ContributionFacts contribution, Guid? messageId, DateTimeOffset now)
    {
        if (messageId is { } id && state.AcceptedMessageIds.Contains(id))
        {
            return null;
        }

        var rejection = ContributionChecks.Judge(contribution, registry, now)
            ?? CheckTask(state, contribution.Manifest!)
            ?? CheckSequence(state, contribution.Manifest!)
            ?? AdmitToRound(state, contribution, now);
        var (manifest, message, round) = (contribution.Manifest, contribution.Message, state.Round);
        if (rejection is null)
        {
            return new Admission(
                EventStreams.Round(state.Task, round!.Round),
                round.StreamVersion,
                new ContributionAccepted(
                    manifest!.Round, manifest.GatewayId, manifest.KeyId, contribution.PayloadSha256, manifest.PayloadBytes,
                    manifest.SampleCount, manifest.Sequence, manifest.PolicySha256, message.Manifest, message.Signature, now),
                null);
        }

        var rejected = new ContributionRejected(
            manifest?.Round, manifest?.GatewayId, manifest?.KeyId, contribution.PayloadSha256, rejection.Reason, rejection.Detail,
            message.Manifest, message.Signature, now);

        // No readable round, another task's, or not the latest one: kept where auditors look for strays, so
        // unauthenticated claims never land in a closed round's stream.
        return round is not null && manifest?.Round == round.Round && TaskOf(manifest) == state.Task
            ? new Admission(EventStreams.Round(state.Task, round.Round), round.StreamVersion, rejected, rejection)
            : new Admission(EventStreams.Unattributed, ExpectedVersion.Any, rejected, rejection);
    }

    /// <summary>The task a manifest names; one that names none belongs to the single job of older gateways.</summary>
    public static string TaskOf(ContributionManifest manifest) => manifest.Task ?? TaskIds.Default;

    private static Rejection? CheckTask(CoordinatorState state, ContributionManifest manifest) =>
        TaskOf(manifest) == state.Task
            ? null
            : new Rejection(RejectionReason.UnknownTask, $"The manifest names task '{TaskOf(manifest)}', which this aggregator does not have.");

    private static Rejection? CheckSequence(CoordinatorState state, ContributionManifest manifest) =>
        state.HighestSequences.TryGetValue(manifest.GatewayId, out var highest) && manifest.Sequence <= highest
            ? new Rejection(
                RejectionReason.Replay,
                $"Sequence number {manifest.Sequence} of gateway '{manifest.GatewayId}' is not above {highest}, the highest it has had accepted: the manifest was sent before, or is older than one already counted.")
            : null;

    private static Rejection? AdmitToRound(CoordinatorState state, ContributionFacts contribution, DateTimeOffset now)
    {
        var (manifest, round) = (contribution.Manifest!, state.Round);
        if (manifest.SampleCount > MaxSampleCount)
        {
            return new Rejection(RejectionReason.InvalidSampleCount, $"Sample count {manifest.SampleCount} is above the limit of {MaxSampleCount}.");
        }

        if (round is null || manifest.Round > round.Round || manifest.Round < 1)
        {
            return new Rejection(RejectionReason.UnknownRound, $"Round {manifest.Round} does not exist (latest round: {round?.Round ?? 0}).");
        }

        var model = state.Model ?? throw new InvalidOperationException("The coordinator's state has no model loaded.");
        return manifest.Round < round.Round
            ? new Rejection(RejectionReason.RoundNotOpen, $"Round {manifest.Round} is closed; round {round.Round} is the latest.")
            : RoundDecisions.Admit(round, manifest, contribution.Payload!, model.Layout, now);
    }
}
