using Federation.Audit.History;
using Federation.Audit.Tasks;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Coordination.History;
using Federation.Coordination.Payloads;
using Federation.EventStore;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Tasks;

/// <summary>
/// What a model team asks for when it creates a task; the initial model is the file it supplies.
/// </summary>
/// <param name="Task">The task id.</param>
/// <param name="Description">What the task learns.</param>
/// <param name="ModelFileName">The initial model's file name, for messages.</param>
/// <param name="Model">The initial model's safetensors bytes as supplied.</param>
/// <param name="Invited">Gateways invited; empty for every gateway with a valid key.</param>
/// <param name="RoundPlan">The task's default round plan.</param>
/// <param name="Evaluation">The task's evaluation plan and release gate.</param>
/// <param name="RoundCount">Rounds the aggregator runs by itself; 0 for rounds that open only when asked.</param>
public sealed record TaskCreation(
    string Task, string Description, string ModelFileName, byte[] Model,
    IReadOnlyList<string> Invited, TaskRoundPlan RoundPlan, TaskEvaluationPlan Evaluation, int RoundCount = 0);

/// <summary>
/// The aggregator's tasks: creates, pauses, resumes and retires them through the <see cref="DecisionGate"/>, and
/// keeps the <see cref="TaskCatalog"/> folded from the history. A thin shell around <see cref="TaskDecisions"/>:
/// every refusal is decided before anything is stored or appended, so nothing is recorded half-way.
/// </summary>
public sealed class TaskRegistry(EventHistory history, DecisionGate gate, PayloadStore payloads, TimeProvider clock, ILogger<TaskRegistry> logger)
{
    /// <summary>Who created the task that the aggregator's settings describe (the single job of older histories).</summary>
    public const string ConfigurationCreator = "aggregator-settings";

    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCatalog catalog = TaskCatalog.Empty;

    /// <summary>Every task as of the last decision, once the registry has read the history at start.</summary>
    public async Task<TaskCatalog> CatalogAsync(CancellationToken cancellationToken)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        return catalog;
    }

    /// <summary>
    /// Rebuilds the catalog; records the task the settings describe as task <c>default</c> if the history has none
    /// (its version 0 is already in the legacy <c>models</c> stream, written by the round coordinator); and publishes
    /// version 0 of any task whose creation was recorded but whose version 0 was not (a crash between the two
    /// appends).
    /// </summary>
    /// <param name="defaults">The round plan of the aggregator's settings.</param>
    /// <param name="defaultRoundCount">The settings' round count (<c>Aggregator:Rounds:Count</c>), recorded with task <c>default</c>.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task InitializeAsync(TaskRoundPlan defaults, int defaultRoundCount, CancellationToken cancellationToken)
    {
        try
        {
            await InitializeInGateAsync(defaults, defaultRoundCount, cancellationToken);
        }
        finally
        {
            initialized.TrySetResult();
        }
    }

    private Task InitializeInGateAsync(TaskRoundPlan defaults, int defaultRoundCount, CancellationToken cancellationToken) =>
        gate.RunAsync(async () =>
        {
            await RebuildAsync(cancellationToken);
            if (catalog.Find(TaskIds.Default) is null)
            {
                await RecordDefaultAsync(defaults, defaultRoundCount, cancellationToken);
            }

            foreach (var task in catalog.Tasks.Values.Where(task => task.Id != TaskIds.Default))
            {
                await EnsureVersionZeroAsync(task.Created, cancellationToken);
            }

            return true;
        }, () => RebuildAsync(cancellationToken), cancellationToken);

    /// <summary>Checks the initial model, stores it and its version 0, and records the task and version 0.</summary>
    /// <exception cref="TaskRefusedException">The id, plan or model is refused; the message says why.</exception>
    public async Task<TaskCreatedV2> CreateAsync(TaskCreation request, string operatorName, CancellationToken cancellationToken)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        return await gate.RunAsync(async () =>
        {
            // Everything that can refuse runs before the first write.
            TaskDecisions.Create(catalog, request.Task, request.Description, "", 0, request.Invited, request.RoundPlan, request.RoundCount, request.Evaluation, operatorName, clock.GetUtcNow());
            byte[] versionZero;
            try
            {
                versionZero = InitialModel.ToVersionZero(request.ModelFileName, request.Model);
            }
            catch (InvalidDataException error)
            {
                throw new TaskRefusedException(error.Message);
            }

            var registered = await payloads.PutAsync(request.Model, cancellationToken);
            await payloads.PutAsync(versionZero, cancellationToken);
            var created = TaskDecisions.Create(
                catalog, request.Task, request.Description, registered, request.Model.LongLength,
                request.Invited, request.RoundPlan, request.RoundCount, request.Evaluation, operatorName, clock.GetUtcNow());
            await AppendAsync(created, ExpectedVersion.NoStream, cancellationToken);
            await EnsureVersionZeroAsync(created, cancellationToken);
            logger.LogInformation("Task {Task} created by {Operator} from {File} ({Sha256})", created.Task, operatorName, request.ModelFileName, registered);
            return created;
        }, () => RebuildAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Pauses an active task: no round of it opens until it is resumed.</summary>
    /// <exception cref="TaskRefusedException">The task is unknown or not active, or no reason was given.</exception>
    public Task<TaskPaused> PauseAsync(string task, string reason, string operatorName, CancellationToken cancellationToken) =>
        DecideAsync(task, () => TaskDecisions.Pause(catalog, task, reason, operatorName, clock.GetUtcNow()), cancellationToken);

    /// <summary>Resumes a paused task.</summary>
    /// <exception cref="TaskRefusedException">The task is unknown or not paused.</exception>
    public Task<TaskResumed> ResumeAsync(string task, string operatorName, CancellationToken cancellationToken) =>
        DecideAsync(task, () => TaskDecisions.Resume(catalog, task, operatorName, clock.GetUtcNow()), cancellationToken);

    /// <summary>Retires a task for good: no round of it opens again.</summary>
    /// <exception cref="TaskRefusedException">The task is unknown or already retired, or no reason was given.</exception>
    public Task<TaskRetired> RetireAsync(string task, string reason, string operatorName, CancellationToken cancellationToken) =>
        DecideAsync(task, () => TaskDecisions.Retire(catalog, task, reason, operatorName, clock.GetUtcNow()), cancellationToken);

    private async Task<T> DecideAsync<T>(string task, Func<T> decide, CancellationToken cancellationToken)
        where T : IFederationEvent
    {
        await initialized.Task.WaitAsync(cancellationToken);
        return await gate.RunAsync(async () =>
        {
            var decided = decide();
            await AppendAsync(decided, catalog.Find(task)!.StreamVersion, cancellationToken);
            logger.LogInformation("Task {Task}: {Event}", task, decided.GetType().Name);
            return decided;
        }, () => RebuildAsync(cancellationToken), cancellationToken);
    }

    private async Task RecordDefaultAsync(TaskRoundPlan defaults, int roundCount, CancellationToken cancellationToken)
    {
        var versionZero = await history.ReadStreamAsync(EventStreams.Models(TaskIds.Default), cancellationToken)
            .Select(entry => entry.Event).OfType<ModelVersionPublished>().FirstOrDefaultAsync(cancellationToken);
        if (versionZero is null)
        {
            // The round coordinator writes version 0 first; without it there is nothing to name yet.
            return;
        }

        var created = new TaskCreatedV2(
            TaskIds.Default, "The aggregator's configured job (Aggregator:Model and Aggregator:Rounds).",
            versionZero.ModelSha256, versionZero.ModelBytes, [], defaults, roundCount, new TaskEvaluationPlan([], null), ConfigurationCreator, clock.GetUtcNow());
        await AppendAsync(created, ExpectedVersion.NoStream, cancellationToken);
        logger.LogInformation("Recorded the configured job as task {Task}", TaskIds.Default);
    }

    private async Task EnsureVersionZeroAsync(TaskCreatedV2 created, CancellationToken cancellationToken)
    {
        var stream = EventStreams.Models(created.Task);
        if (await history.ReadStreamAsync(stream, cancellationToken).AnyAsync(cancellationToken))
        {
            return;
        }

        var versionZero = InitialModel.ToVersionZero(created.InitialModelSha256, await payloads.GetAsync(created.InitialModelSha256, cancellationToken));
        var sha256 = await payloads.PutAsync(versionZero, cancellationToken);
        var published = new ModelVersionPublished(0, sha256, versionZero.LongLength, null, null, "initial", new Dictionary<string, double>(), null, [], clock.GetUtcNow());
        await history.AppendAsync(stream, ExpectedVersion.NoStream, published, cancellationToken);
    }

    private async Task AppendAsync(IFederationEvent @event, long expectedVersion, CancellationToken cancellationToken)
    {
        var task = @event switch
        {
            TaskCreatedV2 created => created.Task,
            TaskPaused paused => paused.Task,
            TaskResumed resumed => resumed.Task,
            TaskRetired retired => retired.Task,
            _ => throw new ArgumentException($"{@event.GetType().Name} is not a task lifecycle event.", nameof(@event)),
        };
        var result = await history.AppendAsync(EventStreams.Task(task), expectedVersion, @event, cancellationToken);
        catalog = catalog.Apply(@event, result.StreamVersion);
    }

    private async Task RebuildAsync(CancellationToken cancellationToken) =>
        catalog = await history.ReadAllAsync(1, cancellationToken)
            .AggregateAsync(TaskCatalog.Empty, (folding, entry) => folding.Apply(entry.Event, entry.Recorded.StreamVersion), cancellationToken);
}
