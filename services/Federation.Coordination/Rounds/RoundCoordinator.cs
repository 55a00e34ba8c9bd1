using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.EventStore;
using Federation.Learning.Strategies;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Runs the rounds of one task (<see cref="TaskId"/>): opens them, records every contribution as accepted or rejected, closes them and publishes model
/// versions. A thin shell around pure decisions (<see cref="ContributionAdmission"/>, <see cref="RoundDecisions"/>):
/// inside the <see cref="DecisionGate"/> it reads its state, decides, appends with the expected version and applies
/// what it appended; when another writer appended first, the gate has it rebuild the state and decide again. Its
/// state is only a cache of the event history (<see cref="CoordinatorState"/>), rebuilt at start
/// (<see cref="InitializeAsync"/>). Checking a contribution and aggregating a round run outside the gate.
/// It only appends: what gateways hear (round announced, model published) is derived from the
/// history by <see cref="Announcements.AnnouncementPublisher"/>.
/// </summary>
/// <remarks>
/// Each task has its own coordinator (<see cref="TaskRounds"/>), with its own state and its own aggregation in
/// progress, so one task's slow round never holds up another's. All of them share the one
/// <see cref="DecisionGate"/>: it is held only to decide and append, never while aggregating, and sharing it keeps
/// acceptances and key changes in one order for every task (docs/FORMATS.md section 10, check 4).
/// </remarks>
/// <param name="task">The task whose rounds this coordinator runs.</param>
/// <param name="history">The event history it decides from and appends to.</param>
/// <param name="gate">The one gate every decision of the aggregator passes.</param>
/// <param name="payloads">Where accepted payloads and models are kept.</param>
/// <param name="keys">The gateways and their keys.</param>
/// <param name="verification">Checks a contribution's signature and payload before it is decided.</param>
/// <param name="models">Makes model versions.</param>
/// <param name="clock">The time of decisions.</param>
/// <param name="logger">Where outcomes are logged.</param>
public sealed class RoundCoordinator(
    string task,
    EventHistory history,
    DecisionGate gate,
    PayloadStore payloads,
    GatewayKeys keys,
    ContributionVerification verification,
    ModelPublishing models,
    TimeProvider clock,
    ILogger<RoundCoordinator> logger)
{
    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CoordinatorState state = CoordinatorState.Empty(task);

    // Completes when no round is being aggregated. While one is, the round's outcome is being computed outside the
    // gate, and no other decision about rounds is made until it is recorded (key changes still pass the gate).
    private Task closing = Task.CompletedTask;

    /// <summary>The task whose rounds this coordinator runs.</summary>
    public string TaskId => task;

    /// <summary>Rounds of the task closed over the federation's history.</summary>
    public int RoundsClosed => state.RoundsClosed;

    /// <summary>
    /// Whether the latest round closed with enough contributions but its model is not published yet: closing and
    /// publishing are two appends, and a reader between them must not take the round for finished.
    /// </summary>
    public bool AwaitsModel => state.Round is { Closed.Outcome: RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed } round && state.LatestModel?.Round != round.Round;

    /// <summary>The latest round, or null before the first.</summary>
    public RoundState? LatestRound => state.Round;

    /// <summary>The latest model version.</summary>
    public ModelVersion CurrentModel => state.Model ?? throw new InvalidOperationException("The coordinator is not initialized.");

    /// <summary>
    /// Rebuilds state from the history; on a new history, publishes the configured initial model as version 0 of task
    /// <see cref="TaskIds.Default"/> (other tasks get theirs from <see cref="Tasks.TaskRegistry"/> when created).
    /// Finishes a round that closed with enough contributions but whose model was never published
    /// (a crash between the two appends).
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Keys first: configured gateways must be enrolled before a round invites them.
        await keys.InitializeAsync(cancellationToken);
        try
        {
            var unpublished = await gate.RunAsync(async () =>
            {
                await RebuildAsync(cancellationToken);
                if (state.LatestModel is null && task != TaskIds.Default)
                {
                    throw new InvalidOperationException($"Task '{task}' has no version 0 in the history; the task registry records it when the task is created.");
                }

                if (state.LatestModel is null)
                {
                    logger.LogInformation("New history: publishing the initial model as version 0");
                    await AppendModelAsync(await models.PrepareInitialAsync(cancellationToken), cancellationToken);
                }

                return AwaitsModel ? StartClosing(state.Round!, state.Round!.Closed!) : null;
            }, () => RefreshAsync(cancellationToken), cancellationToken);

            if (unpublished is not null)
            {
                logger.LogWarning("Round {Round} closed but its model was never published; publishing it now", unpublished.Round.Round);
                await FinishClosingAsync(unpublished, cancellationToken);
            }
        }
        finally
        {
            initialized.TrySetResult();
        }
    }

    /// <summary>
    /// Opens the next round on the current model with <paramref name="plan"/>, inviting
    /// <paramref name="invited"/> (every gateway with a valid key when null). Returns null when a round is already open.
    /// </summary>
    /// <exception cref="ArgumentException">An invited gateway is not enrolled.</exception>
    public Task<RoundOpened?> OpenRoundAsync(RoundPlan plan, IReadOnlyList<string>? invited, CancellationToken cancellationToken) =>
        RoundTurnAsync(async () =>
        {
            var (registry, now) = (keys.Registry, clock.GetUtcNow());
            if (invited?.FirstOrDefault(gateway => registry.Find(gateway) is null) is { } unknown)
            {
                throw new ArgumentException($"Gateway '{unknown}' is not enrolled, so it cannot be invited.", nameof(invited));
            }

            if (state.Round is { IsOpen: true })
            {
                return null;
            }

            var model = CurrentModel;
            var opened = RoundDecisions.Open((state.Round?.Round ?? 0) + 1, model, plan, invited?.Distinct().ToList() ?? registry.ActiveIds(now), now);
            var streamId = EventStreams.Round(task, opened.Round);
            var result = await history.AppendAsync(streamId, ExpectedVersion.NoStream, opened, cancellationToken);
            state = state.Apply(streamId, result.StreamVersion, opened, null);
            logger.LogInformation("Task {Task}: round {Round} opened on model version {Version}", task, opened.Round, model.Version);
            return opened;
        }, cancellationToken);

    /// <summary>Aborts round <paramref name="roundNumber"/> if it is the open round; returns the closing event, or null when it is not open.</summary>
    public Task<RoundClosed?> AbortAsync(int roundNumber, CancellationToken cancellationToken) =>
        RoundTurnAsync(async () =>
        {
            if (state.Round is not { IsOpen: true } round || round.Round != roundNumber)
            {
                return null;
            }

            var closed = RoundDecisions.Abort(round, clock.GetUtcNow());
            await AppendClosedAsync(closed, cancellationToken);
            logger.LogWarning("Round {Round} aborted by an operator", closed.Round);
            return closed;
        }, cancellationToken);

    /// <summary>
    /// Checks a contribution and records it as accepted or rejected. Never throws for bad input:
    /// a bad contribution becomes a <see cref="ContributionRejected"/> event and the round goes on.
    /// The bus may deliver a message twice: a message whose id (<paramref name="messageId"/>) was
    /// already accepted changes nothing. Any other repeat of a manifest is a replay and is rejected.
    /// </summary>
    public async Task SubmitAsync(ContributionSubmitted message, Guid? messageId, CancellationToken cancellationToken)
    {
        // Signature and payload checks need no state: they run once, before the gate, and their facts are judged inside it.
        await initialized.Task.WaitAsync(cancellationToken);
        await AdmitAsync(await verification.VerifyAsync(message, cancellationToken), messageId, cancellationToken);
    }

    /// <summary>
    /// Records a verified contribution (<paramref name="facts"/>, from <see cref="ContributionVerification"/>) as
    /// accepted or rejected, and closes the round when that makes it due. One whose manifest names another task is
    /// rejected (<see cref="RejectionReason.UnknownTask"/>): it is routed here only when that task does not exist.
    /// </summary>
    public async Task AdmitAsync(ContributionFacts facts, Guid? messageId, CancellationToken cancellationToken)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        Admission? recorded = null;
        var now = default(DateTimeOffset);
        var pending = await RoundTurnAsync(async () =>
        {
            // Decided and appended once: when the close that follows meets another writer, only the close is decided again.
            if (recorded is null)
            {
                now = clock.GetUtcNow();
                if (ContributionAdmission.Decide(state, keys.Registry, facts, messageId, now) is not { } admission)
                {
                    return null;
                }

                await RecordAsync(admission, facts.Message, messageId, cancellationToken);
                recorded = admission;
            }

            return recorded.Rejection is null ? await DecideCloseAsync(now, cancellationToken) : null;
        }, cancellationToken);

        if (pending is not null)
        {
            await FinishClosingAsync(pending, cancellationToken);
        }
    }

    /// <summary>Checks and records a contribution that did not come off the bus, so has no message id: any repeat of it is a replay.</summary>
    public Task SubmitAsync(ContributionSubmitted message, CancellationToken cancellationToken) => SubmitAsync(message, null, cancellationToken);

    /// <summary>Closes the open round if its deadline has passed (aggregating when it has enough contributions).</summary>
    public async Task CheckDeadlineAsync(CancellationToken cancellationToken)
    {
        if (await RoundTurnAsync(() => DecideCloseAsync(clock.GetUtcNow(), cancellationToken), cancellationToken) is { } pending)
        {
            await FinishClosingAsync(pending, cancellationToken);
        }
    }

    /// <summary>Runs a decision about rounds in the gate, once no round is being aggregated.</summary>
    private async Task<T?> RoundTurnAsync<T>(Func<Task<T?>> decideAndAppend, CancellationToken cancellationToken)
        where T : class
    {
        await initialized.Task.WaitAsync(cancellationToken);
        while (true)
        {
            await closing.WaitAsync(cancellationToken);
            var (taken, result) = await gate.RunAsync(
                async () => closing.IsCompleted ? (true, await decideAndAppend()) : (false, null),
                () => RefreshAsync(cancellationToken),
                cancellationToken);
            if (taken)
            {
                return result;
            }
        }
    }

    private async Task RecordAsync(Admission admission, ContributionSubmitted message, Guid? messageId, CancellationToken cancellationToken)
    {
        if (admission.Event is ContributionAccepted && message.Payload.Length > 0)
        {
            // Chunked payloads are already in the store: they enter it only under their verified hash.
            await payloads.PutAsync(message.Payload, cancellationToken);
        }

        var result = await history.AppendAsync(admission.StreamId, admission.ExpectedVersion, admission.Event, messageId, cancellationToken);
        state = state.Apply(admission.StreamId, result.StreamVersion, admission.Event, messageId);
        if (admission.Event is ContributionAccepted accepted)
        {
            logger.LogInformation("Task {Task}, round {Round}: accepted the contribution of {Gateway}", task, accepted.Round, accepted.GatewayId);
        }
        else if (admission.Event is ContributionRejected rejected)
        {
            logger.LogWarning(
                "Rejected a contribution (gateway {Gateway}, round {Round}): {Reason}: {Detail}",
                rejected.GatewayId ?? "?", rejected.Round?.ToString() ?? "?", rejected.Reason, rejected.Detail);
        }
    }

    /// <summary>
    /// Closes the open round when it is due. A round that closes without a model is recorded at once; one that has
    /// enough contributions is aggregated first, outside the gate (<see cref="FinishClosingAsync"/>), so a round never
    /// closes as successful without a model.
    /// </summary>
    private async Task<PendingClose?> DecideCloseAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (state.Round is not { } round || RoundDecisions.Close(round, now) is not { } closed)
        {
            return null;
        }

        if (closed.Outcome is RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed)
        {
            return StartClosing(round, closed);
        }

        await AppendClosedAsync(closed, cancellationToken);
        return null;
    }

    /// <summary>Marks a round as being aggregated; inside the gate, so no round decision starts in between.</summary>
    private PendingClose StartClosing(RoundState round, RoundClosed closed)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        closing = done.Task;
        return new PendingClose(round, closed, CurrentModel, done);
    }

    /// <summary>Aggregates outside the gate, then records the close and the model inside it.</summary>
    private async Task FinishClosingAsync(PendingClose pending, CancellationToken cancellationToken)
    {
        try
        {
            PreparedModel? prepared = null;
            string? failure = null;
            try
            {
                prepared = await models.PrepareAsync(pending.Round, pending.BaseModel, cancellationToken);
            }
            catch (Exception error) when (error is StrategyInputException or OverflowException or ArgumentException)
            {
                logger.LogError("Round {Round} could not be aggregated: {Reason}", pending.Round.Round, error.Message);
                failure = error.Message;
            }

            await gate.RunAsync(() => RecordCloseAsync(pending, prepared, failure, cancellationToken), () => RefreshAsync(cancellationToken), cancellationToken);
        }
        finally
        {
            pending.Done.TrySetResult();
        }
    }

    /// <summary>
    /// Records what <paramref name="pending"/> decided, as far as the state still calls for it: the close unless the
    /// round is no longer as it was decided on (another writer moved it; a later deadline check decides again), then
    /// the model unless it is already published.
    /// </summary>
    private async Task<bool> RecordCloseAsync(PendingClose pending, PreparedModel? prepared, string? failure, CancellationToken cancellationToken)
    {
        if (state.Round is not { } round || round.Round != pending.Round.Round)
        {
            return false;
        }

        if (round.IsOpen)
        {
            if (round.StreamVersion != pending.Round.StreamVersion)
            {
                return false;
            }

            await AppendClosedAsync(failure is null ? pending.Closed : pending.Closed with { Outcome = RoundOutcome.AggregationFailed, Detail = failure }, cancellationToken);
        }

        if (prepared is null || state.Round!.Closed!.Outcome is not (RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed)
            || state.LatestModel?.Round == round.Round || CurrentModel.Version != pending.BaseModel.Version)
        {
            return false;
        }

        await AppendModelAsync(prepared, cancellationToken);
        logger.LogInformation("Task {Task}: published model version {Version} ({Sha256}) from round {Round}", task, prepared.Version.Version, prepared.Version.Sha256, round.Round);
        return true;
    }

    private async Task AppendClosedAsync(RoundClosed closed, CancellationToken cancellationToken)
    {
        var round = state.Round!;
        var streamId = EventStreams.Round(task, round.Round);
        var result = await history.AppendAsync(streamId, round.StreamVersion, closed, cancellationToken);
        state = state.Apply(streamId, result.StreamVersion, closed, null);
        logger.LogInformation("Task {Task}: round {Round} closed: {Outcome} with {Accepted} accepted, {Rejected} rejected",
            task, closed.Round, closed.Outcome, closed.AcceptedCount, closed.RejectedCount);
    }

    private async Task AppendModelAsync(PreparedModel prepared, CancellationToken cancellationToken)
    {
        var result = await history.AppendAsync(EventStreams.Models(task), state.ModelsStreamVersion, prepared.Event, cancellationToken);
        state = state.Apply(EventStreams.Models(task), result.StreamVersion, prepared.Event, null) with { Model = prepared.Version };
    }

    /// <summary>After another writer appended first: what the coordinator and the key registry know, from the history.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await RebuildAsync(cancellationToken);
        await keys.RefreshAsync(cancellationToken);
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        var folded = await history.ReadAllAsync(1, cancellationToken).AggregateAsync(CoordinatorState.Empty(task), (folding, entry) => folding.Apply(entry), cancellationToken);
        state = folded.LatestModel is { } latest ? folded with { Model = await models.LoadAsync(latest) } : folded;
    }

    /// <summary>A round whose close was decided and whose model is being aggregated outside the gate.</summary>
    /// <param name="Round">The round as it was when the close was decided.</param>
    /// <param name="Closed">The close decided.</param>
    /// <param name="BaseModel">The model the round aggregates onto.</param>
    /// <param name="Done">Completed once the outcome is recorded (or given up), releasing other round decisions.</param>
    private sealed record PendingClose(RoundState Round, RoundClosed Closed, ModelVersion BaseModel, TaskCompletionSource Done);
}
