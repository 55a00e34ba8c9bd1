using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Audit;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Coordination.Models;
using Federation.Coordination.Aggregation;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Payloads;
using Federation.EventStore;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Runs rounds: opens them, records every contribution as accepted or rejected, closes them,
/// aggregates and publishes model versions. Its in-memory state is only a cache of the event
/// history: every change is appended there first, nothing is handled before the cache is
/// rebuilt (<see cref="InitializeAsync"/>), and it is rebuilt again whenever an expected-version
/// append shows that someone else wrote first. One lock serializes changes.
/// It only appends: what gateways hear (round announced, model published) is derived from the
/// history by <see cref="Announcements.AnnouncementPublisher"/>.
/// </summary>
public sealed class RoundCoordinator(
    EventHistory history,
    PayloadStore payloads,
    GatewayKeys keys,
    PayloadOptions payloadLimits,
    ModelOptions model,
    TimeProvider clock,
    ILogger<RoundCoordinator> logger)
{
    /// <summary>The largest sample count one contribution may claim; far above any site, far below overflow of the sums.</summary>
    public const long MaxSampleCount = 1L << 40;

    /// <summary>How often a contribution waiting for its chunked payload looks again.</summary>
    private static readonly TimeSpan PayloadPoll = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ModelVersion? current;
    private long modelsStreamVersion;
    private RoundState? round;
    private Dictionary<string, long> highestSequences = new(StringComparer.Ordinal);
    private HashSet<Guid> acceptedMessageIds = [];

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
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Keys first: configured gateways must be enrolled before a round invites them.
        await keys.InitializeAsync(cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var latestModel = await RebuildAsync(cancellationToken);
            if (latestModel is null)
            {
                current = await PublishInitialModelAsync(cancellationToken);
            }

            if (round is { Closed.Outcome: RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed } && latestModel?.Round != round.Round)
            {
                logger.LogWarning("Round {Round} closed but its model was never published; publishing it now", round.Round);
                await PublishAggregateAsync(round, Aggregate(round), cancellationToken);
            }
        }
        finally
        {
            gate.Release();
            initialized.TrySetResult();
        }
    }

    /// <summary>
    /// Opens the next round on the current model with <paramref name="plan"/>, inviting
    /// <paramref name="invited"/> (every enrolled gateway when null). Returns null when a round is already open.
    /// </summary>
    /// <exception cref="ArgumentException">An invited gateway is not enrolled.</exception>
    public async Task<RoundOpened?> OpenRoundAsync(RoundPlan plan, IReadOnlyList<string>? invited, CancellationToken cancellationToken)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        var registry = keys.Registry;
        var unknown = invited?.FirstOrDefault(gateway => registry.Find(gateway) is null);
        if (unknown is not null)
        {
            throw new ArgumentException($"Gateway '{unknown}' is not enrolled, so it cannot be invited.", nameof(invited));
        }

        RoundOpened? opened = null;
        await LockedAsync(async () => opened = await OpenLockedAsync(plan, invited?.Distinct().ToList() ?? registry.ActiveIds(clock.GetUtcNow()), cancellationToken), cancellationToken);
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
            await AppendClosedAsync(closed, cancellationToken);
            logger.LogWarning("Round {Round} aborted by an operator", closed.Round);
        }, cancellationToken);
        return closed;
    }

    /// <summary>
    /// Checks a contribution and records it as accepted or rejected. Never throws for bad input:
    /// a bad contribution becomes a <see cref="ContributionRejected"/> event and the round goes on.
    /// The bus may deliver a message twice: a message whose id (<paramref name="messageId"/>) was
    /// already accepted changes nothing. Any other repeat of a manifest is a replay and is rejected.
    /// </summary>
    public async Task SubmitAsync(ContributionSubmitted message, Guid? messageId, CancellationToken cancellationToken)
    {
        // Signature and tensor checks need no round state; run them before taking the lock.
        await initialized.Task.WaitAsync(cancellationToken);
        var checkedContribution = await CheckWaitingForPayloadAsync(message, cancellationToken);
        await LockedAsync(async () =>
        {
            if (messageId is { } id && acceptedMessageIds.Contains(id))
            {
                return;
            }

            var now = clock.GetUtcNow();
            var rejection = checkedContribution.Rejection ?? CheckSequence(checkedContribution.Manifest!) ?? AdmitToRound(checkedContribution, now);
            if (rejection is null)
            {
                // The signature was checked before the lock: judge the key again, at the time recorded,
                // with key changes held back until the acceptance is appended (revocations apply in log order).
                rejection = await keys.HoldingKeysAsync(async current =>
                {
                    var late = ContributionChecks.CheckKeyAndPolicy(current, checkedContribution.Manifest!, now);
                    if (late is null)
                    {
                        await RecordAcceptanceAsync(checkedContribution, messageId, now, cancellationToken);
                    }

                    return late;
                }, cancellationToken);
                if (rejection is null)
                {
                    await CloseIfDueAsync(now, cancellationToken);
                    return;
                }
            }

            await RecordRejectionAsync(checkedContribution, rejection, messageId, now, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Runs the stateless checks; when the payload travels in chunks and is still being assembled, checks again every
    /// <see cref="PayloadPoll"/> until it is there or <see cref="PayloadOptions.Wait"/> has passed (then it is rejected).
    /// Waiting here, rather than failing the message for the bus to redeliver, keeps the contribution's place and needs
    /// no redelivery plugin; a restart while waiting simply redelivers it. Real time, not the coordinator's clock: this
    /// is a wait for the disk, not a decision.
    /// </summary>
    private async Task<CheckedContribution> CheckWaitingForPayloadAsync(ContributionSubmitted message, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return ContributionChecks.Check(message, keys.Registry, clock.GetUtcNow(), payloads, waitOver: waited.Elapsed >= payloadLimits.Wait);
            }
            catch (PayloadNotYetAssembledException pending)
            {
                logger.LogDebug("Waiting for payload {Sha256} to be assembled", pending.PayloadSha256);
                await Task.Delay(PayloadPoll, cancellationToken);
            }
        }
    }

    /// <summary>Checks and records a contribution that did not come off the bus, so has no message id: any repeat of it is a replay.</summary>
    public Task SubmitAsync(ContributionSubmitted message, CancellationToken cancellationToken) => SubmitAsync(message, null, cancellationToken);

    /// <summary>Closes the open round if its deadline has passed (aggregating when it has enough contributions).</summary>
    public Task CheckDeadlineAsync(CancellationToken cancellationToken) =>
        LockedAsync(() => CloseIfDueAsync(clock.GetUtcNow(), cancellationToken), cancellationToken);

    private async Task LockedAsync(Func<Task> change, CancellationToken cancellationToken)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await change();
        }
        catch (WrongExpectedVersionException conflict)
        {
            // Someone else appended: our cache is stale. Refresh it, then let the caller retry
            // (the bus redelivers), so the decision is made again on the true history.
            logger.LogWarning("History moved under us ({Message}); rebuilding state", conflict.Message);
            await RebuildAsync(cancellationToken);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Folds the whole history into the cache; returns the latest published model event.</summary>
    private async Task<ModelVersionPublished?> RebuildAsync(CancellationToken cancellationToken)
    {
        ModelVersionPublished? latestModel = null;
        RoundState? latestRound = null;
        var roundsClosed = 0;
        var sequences = new Dictionary<string, long>(StringComparer.Ordinal);
        var messageIds = new HashSet<Guid>();
        await foreach (var entry in history.ReadAllAsync(1, cancellationToken))
        {
            if (entry.Event is ContributionAccepted accepted)
            {
                sequences[accepted.GatewayId] = Math.Max(sequences.GetValueOrDefault(accepted.GatewayId), accepted.Sequence);
                if (entry.Recorded.Metadata.CausationId is { } messageId)
                {
                    messageIds.Add(messageId);
                }
            }

            switch (entry.Event)
            {
                case ModelVersionPublished published:
                    latestModel = published;
                    modelsStreamVersion = entry.Recorded.StreamVersion;
                    break;
                case RoundOpened opened:
                    latestRound = RoundState.Start(opened);
                    break;
                case var roundEvent when latestRound is not null && entry.Recorded.StreamId == EventStreams.Round(latestRound.Round):
                    latestRound = latestRound.Apply(roundEvent);
                    roundsClosed += roundEvent is RoundClosed ? 1 : 0;
                    break;
            }
        }

        round = latestRound;
        RoundsClosed = roundsClosed;
        highestSequences = sequences;
        acceptedMessageIds = messageIds;
        if (latestModel is not null)
        {
            current = await LoadModelAsync(latestModel);
        }

        return latestModel;
    }

    private Rejection? CheckSequence(ContributionManifest manifest) =>
        highestSequences.TryGetValue(manifest.GatewayId, out var highest) && manifest.Sequence <= highest
            ? new Rejection(
                RejectionReason.Replay,
                $"Sequence number {manifest.Sequence} of gateway '{manifest.GatewayId}' is not above {highest}, the highest it has had accepted: the manifest was sent before, or is older than one already counted.")
            : null;

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
        return opened;
    }

    private Rejection? AdmitToRound(CheckedContribution contribution, DateTimeOffset now)
    {
        var manifest = contribution.Manifest!;
        if (manifest.SampleCount > MaxSampleCount)
        {
            return new Rejection(RejectionReason.InvalidSampleCount, $"Sample count {manifest.SampleCount} is above the limit of {MaxSampleCount}.");
        }

        if (round is null || manifest.Round > round.Round || manifest.Round < 1)
        {
            return new Rejection(RejectionReason.UnknownRound, $"Round {manifest.Round} does not exist (latest round: {round?.Round ?? 0}).");
        }

        return manifest.Round < round.Round
            ? new Rejection(RejectionReason.RoundNotOpen, $"Round {manifest.Round} is closed; round {round.Round} is the latest.")
            : RoundDecisions.Admit(round, manifest, contribution.Payload!, CurrentModel.Layout, now);
    }

    private async Task RecordAcceptanceAsync(CheckedContribution contribution, Guid? messageId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (message, manifest) = (contribution.Message, contribution.Manifest!);
        if (message.Payload.Length > 0)
        {
            // Chunked payloads are already in the store: they enter it only under their verified hash.
            await payloads.PutAsync(message.Payload, cancellationToken);
        }

        var accepted = new ContributionAccepted(
            manifest.Round, manifest.GatewayId, manifest.KeyId, contribution.PayloadSha256, manifest.PayloadBytes,
            manifest.SampleCount, manifest.Sequence, manifest.PolicySha256, message.Manifest, message.Signature, now);
        await history.AppendAsync(EventStreams.Round(round!.Round), round.StreamVersion, accepted, messageId, cancellationToken);
        round = round.Apply(accepted);
        highestSequences[manifest.GatewayId] = manifest.Sequence;
        if (messageId is { } id)
        {
            acceptedMessageIds.Add(id);
        }

        logger.LogInformation("Round {Round}: accepted the contribution of {Gateway}", round.Round, manifest.GatewayId);
    }

    private async Task RecordRejectionAsync(CheckedContribution contribution, Rejection rejection, Guid? messageId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var manifest = contribution.Manifest;
        var rejected = new ContributionRejected(
            manifest?.Round, manifest?.GatewayId, manifest?.KeyId, contribution.PayloadSha256, rejection.Reason, rejection.Detail,
            contribution.Message.Manifest, contribution.Message.Signature, now);

        if (round is not null && manifest?.Round == round.Round)
        {
            await history.AppendAsync(EventStreams.Round(round.Round), round.StreamVersion, rejected, messageId, cancellationToken);
            round = round.Apply(rejected);
        }
        else
        {
            // No readable round, or not the latest one: kept where auditors look for strays, so
            // unauthenticated claims never land in a closed round's stream.
            await history.AppendAsync(EventStreams.Unattributed, ExpectedVersion.Any, rejected, messageId, cancellationToken);
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

        if (closed.Outcome is not (RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed))
        {
            await AppendClosedAsync(closed, cancellationToken);
            return;
        }

        // Aggregate before recording the close, so a round never closes as successful without a model.
        var closing = round.Apply(closed);
        AggregationResult aggregate;
        try
        {
            aggregate = Aggregate(closing);
        }
        catch (Exception error) when (error is StrategyInputException or OverflowException or ArgumentException)
        {
            logger.LogError("Round {Round} could not be aggregated: {Reason}", closed.Round, error.Message);
            await AppendClosedAsync(closed with { Outcome = RoundOutcome.AggregationFailed, Detail = error.Message }, cancellationToken);
            return;
        }

        await AppendClosedAsync(closed, cancellationToken);
        await PublishAggregateAsync(round, aggregate, cancellationToken);
    }

    private async Task AppendClosedAsync(RoundClosed closed, CancellationToken cancellationToken)
    {
        await history.AppendAsync(EventStreams.Round(round!.Round), round.StreamVersion, closed, cancellationToken);
        round = round.Apply(closed);
        RoundsClosed++;
        logger.LogInformation("Round {Round} closed: {Outcome} with {Accepted} accepted, {Rejected} rejected",
            closed.Round, closed.Outcome, closed.AcceptedCount, closed.RejectedCount);
    }

    private AggregationResult Aggregate(RoundState closedRound)
    {
        var baseModel = CurrentModel;
        if (closedRound.Opened.BaseModelVersion != baseModel.Version)
        {
            throw new InvalidOperationException(
                $"Round {closedRound.Round} was opened on model version {closedRound.Opened.BaseModelVersion}, but the latest is {baseModel.Version}.");
        }

        // Aggregating needs the parameters (a strategy's accumulator is model-sized by nature); only now are they read.
        var strategy = AggregationStrategies.Create(closedRound.Opened.Strategy, closedRound.Opened.StrategyParameters);
        var previousState = StrategyAggregation.PreviousState(strategy, baseModel.StrategyStateSha256, payloads);
        var parameters = SafeTensors.Read(payloads.Get(baseModel.Sha256));
        return StrategyAggregation.Aggregate(strategy, parameters, closedRound.AggregationOrder, payloads, previousState);
    }

    private async Task PublishAggregateAsync(RoundState closedRound, AggregationResult result, CancellationToken cancellationToken)
    {
        var baseModel = CurrentModel;
        var stateSha256 = result.State is { } state ? await payloads.PutAsync(state.ToSafeTensors(), cancellationToken) : null;
        var selected = result.SelectedClientIds.ToHashSet(StringComparer.Ordinal);
        var contributions = closedRound.AggregationOrder
            .Select(accepted => new ContributionUsed(accepted.GatewayId, accepted.KeyId, accepted.PayloadSha256, accepted.SampleCount, selected.Contains(accepted.GatewayId)))
            .ToList();
        current = await StoreAndAppendModelAsync(
            baseModel.Version + 1, result.Model, closedRound.Round, baseModel.Version, closedRound.Opened.Strategy,
            closedRound.Opened.StrategyParameters, stateSha256, contributions, cancellationToken);
        logger.LogInformation("Published model version {Version} ({Sha256}) from round {Round}", current.Version, current.Sha256, closedRound.Round);
    }

    private Task<ModelVersion> PublishInitialModelAsync(CancellationToken cancellationToken)
    {
        var spec = model.ToSpec();
        logger.LogInformation("New history: publishing the initial {Kind} model as version 0", spec.Kind);
        return StoreAndAppendModelAsync(0, spec.Initialize(model.Seed), null, null, "initial", new Dictionary<string, double>(), null, [], cancellationToken);
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
        return new ModelVersion(version, sha256, SafeTensorsLayout.Parse(bytes, bytes.Length), strategyStateSha256);
    }

    private async Task<ModelVersion> LoadModelAsync(ModelVersionPublished published)
    {
        await using var model = payloads.OpenRead(published.ModelSha256);
        return new ModelVersion(published.Version, published.ModelSha256, PayloadScan.ReadLayout(model, model.Length), published.StrategyStateSha256);
    }
}
