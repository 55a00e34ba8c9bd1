using Federation.Audit.Contributions;
using Federation.Audit;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Coordination.Models;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;

namespace Federation.Coordination.Rounds;

/// <summary>
/// What a round decides, as pure functions of its state and the time the caller passes in, so
/// every decision can be tested and replayed without a clock or a database.
/// </summary>
public static class RoundDecisions
{
    /// <summary>
    /// Opens round <paramref name="round"/> from a base model. The event records the strategy's
    /// effective parameters (defaults included), so the round can be re-aggregated from history alone;
    /// a strategy's client settings (FedProx's μ) take precedence over the plan's.
    /// </summary>
    /// <exception cref="ArgumentException">The strategy or its parameters are unknown or out of range.</exception>
    public static RoundOpened Open(
        int round, ModelVersion baseModel, RoundPlan plan, IReadOnlyList<string> invited, DateTimeOffset now)
    {
        var strategy = AggregationStrategies.Create(plan.Strategy, plan.StrategyParameters);
        var configuration = strategy.ConfigureRound();
        var proximalMu = configuration.ClientSettings.GetValueOrDefault("proximal_mu", plan.ProximalMu);
        return new RoundOpened(
            round, baseModel.Version, baseModel.Sha256, strategy.Name, strategy.Parameters, plan.MaxUpdateNorm,
            plan.MinParticipants, invited,
            new TrainingPlan(plan.Epochs, plan.BatchSize, plan.LearningRate, plan.Seed, proximalMu), now + plan.Duration, now);
    }

    /// <summary>
    /// The round-dependent checks of a contribution that passed the stateless ones: the round is
    /// open and not past its deadline, the gateway is invited and has not contributed yet, and the
    /// update was trained from this round's base model, has its layout and stays within the
    /// round's norm bound. Null when admitted.
    /// </summary>
    public static Rejection? Admit(RoundState round, ContributionManifest manifest, PayloadSummary update, SafeTensorsLayout baseModel, DateTimeOffset now)
    {
        if (now > round.Opened.Deadline)
        {
            return new Rejection(RejectionReason.Late, $"Round {round.Round}'s deadline {round.Opened.Deadline:O} has passed; received {now:O}.");
        }

        if (!round.IsOpen)
        {
            return new Rejection(RejectionReason.RoundNotOpen, $"Round {round.Round} is closed ({round.Closed!.Outcome}).");
        }

        if (!round.Opened.Invited.Contains(manifest.GatewayId))
        {
            return new Rejection(RejectionReason.NotInvited, $"Gateway '{manifest.GatewayId}' is not invited to round {round.Round}.");
        }

        if (round.Accepted.Any(accepted => accepted.GatewayId == manifest.GatewayId))
        {
            return new Rejection(RejectionReason.DuplicateContribution, $"Gateway '{manifest.GatewayId}' already has an accepted contribution in round {round.Round}.");
        }

        if (manifest.BaseModelSha256 != round.Opened.BaseModelSha256)
        {
            return new Rejection(RejectionReason.BaseModelMismatch, $"The update was trained from model {manifest.BaseModelSha256}; round {round.Round} starts from {round.Opened.BaseModelSha256}.");
        }

        if (update.Layout.DescribeLayoutDifference(baseModel) is { } layoutDifference)
        {
            return new Rejection(RejectionReason.ShapeMismatch, $"The update does not fit the base model: {layoutDifference}.");
        }

        return round.Opened.MaxUpdateNorm is { } bound && update.L2Norm is var norm && norm > bound
            ? new Rejection(RejectionReason.NormTooLarge, $"The update's L2 norm {norm:G6} exceeds round {round.Round}'s bound {bound:G6}.")
            : null;
    }

    /// <summary>An operator stops the round; nothing is aggregated.</summary>
    public static RoundClosed Abort(RoundState round, DateTimeOffset now) =>
        new(round.Round, RoundOutcome.AbortedByOperator, round.Accepted.Count, round.RejectedCount, null, now);

    /// <summary>
    /// Whether the round closes now: as soon as every invited gateway is accepted, or at the
    /// deadline (aborted when fewer than the minimum were accepted). Null while it stays open.
    /// </summary>
    public static RoundClosed? Close(RoundState round, DateTimeOffset now)
    {
        if (!round.IsOpen)
        {
            return null;
        }

        var accepted = round.Accepted.Count;
        if (round.Opened.Invited.All(gateway => round.Accepted.Any(contribution => contribution.GatewayId == gateway)))
        {
            return new RoundClosed(round.Round, RoundOutcome.QuorumReached, accepted, round.RejectedCount, null, now);
        }

        if (now <= round.Opened.Deadline)
        {
            return null;
        }

        var outcome = accepted >= round.Opened.MinParticipants ? RoundOutcome.DeadlinePassed : RoundOutcome.AbortedBelowQuorum;
        return new RoundClosed(round.Round, outcome, accepted, round.RejectedCount, null, now);
    }
}
