using Federation.Aggregator.Aggregation;
using Federation.Aggregator.Contributions;
using Federation.Aggregator.Enrolment;
using Federation.Aggregator.History;
using Federation.Aggregator.Payloads;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.EventStore;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Federation.Aggregator.Rounds;

/// <summary>
/// Runs rounds: opens them, records every contribution as accepted or rejected, closes them,
/// aggregates and publishes model versions. Its in-memory state is only a cache of the event
/// history (rebuilt by <see cref="InitializeAsync"/>); every change is appended there first.
/// One lock serializes changes; the expected-version appends catch anyone else writing.
/// </summary>
public sealed class RoundCoordinator(
    EventHistory history,
    PayloadStore payloads,
    EnrolledGateways gateways,
    AggregatorOptions options,
    IBus bus,
    TimeProvider clock,
    ILogger<RoundCoordinator> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ModelVersion? current;
    private long modelsStreamVersion;
    private RoundState? round;

    /// <summary>Rounds closed over the federation's history.</summary>
    public int RoundsClosed { get; private set; }

    /// <summary>The latest round, or null before the first.</summary>
    public RoundState? LatestRound => round;

    /// <summary>The latest model version.</summary>
    public ModelVersion CurrentModel => current ?? throw new InvalidOperationException("The coordinator is not initialized.");

    /// <summary>
    /// Rebuilds state from the history; on a new history, publishes the initial model as version 0.
    /// Finishes a round that closed with enough contributions but whose model was never published
    /// (a crash between the two appends).
    /// </summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => LockedAsync(async () =>
    {
        ModelVersionPublished? latestModel = null;
        await foreach (var entry in history.ReadAllAsync(1, cancellationToken))
        {
            switch (entry.Event)
            {
                case ModelVersionPublished published:
                    latestModel = published;
                    modelsStreamVersion = entry.Recorded.StreamVersion;
                    break;
                case RoundOpened opened:
                    round = RoundState.Start(opened);
                    break;
                case var roundEvent when round is not null && entry.Recorded.StreamId == EventStreams.Round(round.Round):
                    round = round.Apply(roundEvent);
                    RoundsClosed += roundEvent is RoundClosed ? 1 : 0;
                    break;
            }
        }

        current = latestModel is null
            ? await PublishInitialModelAsync(cancellationToken)
            : await LoadModelAsync(latestModel, cancellationToken);

        if (round is { Closed.Outcome: RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed } && latestModel?.Round != round.Round)
        {
            logger.LogWarning("Round {Round} closed but its model was never published; publishing it now", round.Round);
            await PublishNextModelAsync(round, cancellationToken);
        }
    }, cancellationToken);

    /// <summary>
    /// Opens the next round on the current model with <paramref name="plan"/>, inviting
    /// <paramref name="invited"/> (every enrolled gateway when null). Returns null when a round is already open.
    /// </summary>
    /// <exception cref="ArgumentException">An invited gateway is not enrolled.</exception>
    public async Task<RoundOpened?> OpenRoundAsync(RoundPlan plan, IReadOnlyList<string>? invited, CancellationToken cancellationToken)
    {
        var unknown = invited?.FirstOrDefault(gateway => gateways.Find(gateway) is null);
        if (unknown is not null)
        {
            throw new ArgumentException($"Gateway '{unknown}' is not enrolled, so it cannot be invited.", nameof(invited));
        }

        RoundOpened? opened = null;
        await LockedAsync(async () => opened = await OpenLockedAsync(plan, invited ?? gateways.Ids, cancellationToken), cancellationToken);
        return opened;
    }

    /// <summary>Aborts round <paramref name="roundNumber"/> if it is the open round; returns the closing event, or null when it is not open.</summary>
    public async Task<RoundClosed?> AbortAsync(int roundNumber, CancellationToken cancellationToken)
    {
        RoundClosed? closed = null;
        await LockedAsync(async () =>
        {
            if (round is not { IsOpen: true } || round.Round != roundNumber)
            {
                return;
            }

            closed = RoundDecisions.Abort(round, clock.GetUtcNow());
            await history.AppendAsync(EventStreams.Round(round.Round), round.StreamVersion, closed, cancellationToken);
            round = round.Apply(closed);
            RoundsClosed++;
            logger.LogWarning("Round {Round} aborted by an operator", closed.Round);
        }, cancellationToken);
        return closed;
    }

    private async Task<RoundOpened?> OpenLockedAsync(RoundPlan plan, IReadOnlyList<string> invited, CancellationToken cancellationToken)
    {
        if (round is { IsOpen: true })
        {
            return null;
        }

        var model = CurrentModel;
        var opened = RoundDecisions.Open((round?.Round ?? 0) + 1, model, plan, invited, clock.GetUtcNow());
        await history.AppendAsync(EventStreams.Round(opened.Round), ExpectedVersion.NoStream, opened, cancellationToken);
        round = RoundState.Start(opened);
        logger.LogInformation("Round {Round} opened on model version {Version}", opened.Round, model.Version);
        await bus.Publish(
            new RoundAnnounced(opened.Round, model.Version, model.Sha256, model.Bytes, opened.Training, opened.Invited, opened.Deadline),
            cancellationToken);
        return opened;
    }

    /// <summary>
    /// Checks a contribution and records it as accepted or rejected. Never throws for bad input:
    /// a bad contribution becomes a <see cref="ContributionRejected"/> event and the round goes on.
    /// </summary>
    public async Task SubmitAsync(ContributionSubmitted message, CancellationToken cancellationToken)
    {
        // Signature and tensor checks need no round state; run them before taking the lock.
        var checkedContribution = ContributionChecks.Check(message, gateways);
        await LockedAsync(async () =>
        {
            var now = clock.GetUtcNow();
            var rejection = checkedContribution.Rejection ?? AdmitToRound(checkedContribution, now);
            if (rejection is null)
            {
                await RecordAcceptanceAsync(checkedContribution, now, cancellationToken);
            }
            else
            {
                await RecordRejectionAsync(checkedContribution, rejection, now, cancellationToken);
            }
        }, cancellationToken);
    }

    /// <summary>Closes the open round if its deadline has passed (aggregating when it has enough contributions).</summary>
    public Task CheckDeadlineAsync(CancellationToken cancellationToken) =>
        LockedAsync(() => CloseIfDueAsync(clock.GetUtcNow(), cancellationToken), cancellationToken);

    private async Task LockedAsync(Func<Task> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await change();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RecordAcceptanceAsync(CheckedContribution contribution, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (message, manifest) = (contribution.Message, contribution.Manifest!);
        await payloads.PutAsync(message.Payload, cancellationToken);
        var accepted = new ContributionAccepted(
            manifest.Round, manifest.GatewayId, manifest.KeyId, contribution.PayloadSha256, message.Payload.LongLength,
            manifest.SampleCount, message.Manifest, message.Signature, now);
        await history.AppendAsync(EventStreams.Round(round!.Round), round.StreamVersion, accepted, cancellationToken);
        round = round.Apply(accepted);
        logger.LogInformation("Round {Round}: accepted the contribution of {Gateway}", round.Round, manifest.GatewayId);
        await CloseIfDueAsync(now, cancellationToken);
    }

    private Rejection? AdmitToRound(CheckedContribution contribution, DateTimeOffset now)
    {
        var manifest = contribution.Manifest!;
        if (round is null || manifest.Round > round.Round || manifest.Round < 1)
        {
            return new Rejection(RejectionReason.UnknownRound, $"Round {manifest.Round} does not exist (latest round: {round?.Round ?? 0}).");
        }

        return manifest.Round < round.Round
            ? new Rejection(RejectionReason.RoundNotOpen, $"Round {manifest.Round} is closed; round {round.Round} is the latest.")
            : RoundDecisions.Admit(round, manifest, contribution.Update!, CurrentModel.Parameters, now);
    }

    private async Task RecordRejectionAsync(CheckedContribution contribution, Rejection rejection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var manifest = contribution.Manifest;
        var rejected = new ContributionRejected(
            manifest?.Round, manifest?.GatewayId, manifest?.KeyId, contribution.PayloadSha256, rejection.Reason, rejection.Detail,
            contribution.Message.Manifest, contribution.Message.Signature, now);

        if (round is not null && manifest?.Round == round.Round)
        {
            await history.AppendAsync(EventStreams.Round(round.Round), round.StreamVersion, rejected, cancellationToken);
            round = round.Apply(rejected);
        }
        else
        {
            // No readable round, or not the latest one: kept where auditors look for strays.
            var stream = manifest is not null && round is not null && manifest.Round >= 1 && manifest.Round < round.Round
                ? EventStreams.Round(manifest.Round)
                : EventStreams.Unattributed;
            await history.AppendAsync(stream, ExpectedVersion.Any, rejected, cancellationToken);
        }

        logger.LogWarning(
            "Rejected a contribution (gateway {Gateway}, round {Round}): {Reason}: {Detail}",
            manifest?.GatewayId ?? "?", manifest?.Round.ToString() ?? "?", rejection.Reason, rejection.Detail);
    }

    private async Task CloseIfDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (round is null || RoundDecisions.Close(round, now) is not { } closed)
        {
            return;
        }

        await history.AppendAsync(EventStreams.Round(round.Round), round.StreamVersion, closed, cancellationToken);
        round = round.Apply(closed);
        RoundsClosed++;
        logger.LogInformation("Round {Round} closed: {Outcome} with {Accepted} accepted, {Rejected} rejected",
            closed.Round, closed.Outcome, closed.AcceptedCount, closed.RejectedCount);
        if (closed.Outcome is RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed)
        {
            await PublishNextModelAsync(round, cancellationToken);
        }
    }

    private async Task PublishNextModelAsync(RoundState closedRound, CancellationToken cancellationToken)
    {
        var baseModel = CurrentModel;
        if (closedRound.Opened.BaseModelVersion != baseModel.Version)
        {
            throw new InvalidOperationException(
                $"Round {closedRound.Round} was opened on model version {closedRound.Opened.BaseModelVersion}, but the latest is {baseModel.Version}.");
        }

        var strategy = AggregationStrategies.Create(closedRound.Opened.Strategy, closedRound.Opened.StrategyParameters);
        var previousState = StrategyAggregation.PreviousState(strategy, baseModel.StrategyStateSha256, payloads);
        var result = StrategyAggregation.Aggregate(strategy, baseModel.Parameters, closedRound.Accepted, payloads, previousState);
        var stateSha256 = result.State is { } state ? await payloads.PutAsync(state.ToSafeTensors(), cancellationToken) : null;
        var selected = result.SelectedClientIds.ToHashSet(StringComparer.Ordinal);
        var contributions = closedRound.Accepted
            .Select(accepted => new ContributionUsed(accepted.GatewayId, accepted.KeyId, accepted.PayloadSha256, accepted.SampleCount, selected.Contains(accepted.GatewayId)))
            .ToList();
        current = await StoreAndAppendModelAsync(
            baseModel.Version + 1, result.Model, closedRound.Round, baseModel.Version, strategy.Name,
            strategy.Parameters, stateSha256, contributions, cancellationToken);
        logger.LogInformation("Published model version {Version} ({Sha256}) from round {Round}", current.Version, current.Sha256, closedRound.Round);
        await bus.Publish(new ModelPublished(current.Version, current.Sha256, closedRound.Round, current.Bytes), cancellationToken);
    }

    private Task<ModelVersion> PublishInitialModelAsync(CancellationToken cancellationToken)
    {
        var spec = options.Model.ToSpec();
        logger.LogInformation("New history: publishing the initial {Kind} model as version 0", spec.Kind);
        return StoreAndAppendModelAsync(0, spec.Initialize(options.Model.Seed), null, null, "initial", new Dictionary<string, double>(), null, [], cancellationToken);
    }

    private async Task<ModelVersion> StoreAndAppendModelAsync(
        int version, TensorSet parameters, int? fromRound, int? baseVersion, string strategy,
        IReadOnlyDictionary<string, double> strategyParameters, string? strategyStateSha256,
        IReadOnlyList<ContributionUsed> contributions, CancellationToken cancellationToken)
    {
        var bytes = SafeTensors.Write(parameters);
        var sha256 = await payloads.PutAsync(bytes, cancellationToken);
        var published = new ModelVersionPublished(
            version, sha256, bytes.LongLength, fromRound, baseVersion, strategy, strategyParameters, strategyStateSha256, contributions, clock.GetUtcNow());
        var result = await history.AppendAsync(EventStreams.Models, modelsStreamVersion, published, cancellationToken);
        modelsStreamVersion = result.StreamVersion;
        return new ModelVersion(version, sha256, bytes, parameters, strategyStateSha256);
    }

    private async Task<ModelVersion> LoadModelAsync(ModelVersionPublished published, CancellationToken cancellationToken)
    {
        var bytes = await payloads.GetAsync(published.ModelSha256, cancellationToken);
        return new ModelVersion(published.Version, published.ModelSha256, bytes, SafeTensors.Read(bytes), published.StrategyStateSha256);
    }
}
