using System.Collections.Concurrent;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Tasks;

namespace Federation.Coordination.Rounds;

/// <summary>
/// The round coordinators of every task, one per task, each started (its state rebuilt from the history) the first
/// time it is needed. Routes a contribution to the coordinator of the task its manifest names.
/// </summary>
/// <param name="defaultRounds">The coordinator of task <see cref="TaskIds.Default"/>, started by the scheduler.</param>
/// <param name="create">Makes the (not yet started) coordinator of another task.</param>
/// <param name="tasks">The task catalog: only its tasks have coordinators.</param>
/// <param name="verification">Establishes a contribution's facts before it is routed.</param>
public sealed class TaskRounds(
    RoundCoordinator defaultRounds, Func<string, RoundCoordinator> create, TaskRegistry tasks, ContributionVerification verification)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<RoundCoordinator>>> started = new(StringComparer.Ordinal);

    /// <summary>The coordinator of task <see cref="TaskIds.Default"/>, the aggregator's configured job.</summary>
    public RoundCoordinator Default => defaultRounds;

    /// <summary>The started coordinator of <paramref name="task"/>, or null when the catalog has no such task.</summary>
    public async Task<RoundCoordinator?> FindAsync(string task, CancellationToken cancellationToken)
    {
        var catalog = await tasks.CatalogAsync(cancellationToken);
        if (task == TaskIds.Default)
        {
            return defaultRounds;
        }

        if (catalog.Find(task) is null)
        {
            return null;
        }

        var starting = started.GetOrAdd(task, id => new Lazy<Task<RoundCoordinator>>(() => StartAsync(id, cancellationToken)));
        try
        {
            return await starting.Value.WaitAsync(cancellationToken);
        }
        catch when (starting.Value.IsFaulted || starting.Value.IsCanceled)
        {
            // The next caller tries again (the store may be back); a started coordinator is kept for good.
            started.TryRemove(KeyValuePair.Create(task, starting));
            throw;
        }
    }

    /// <summary>
    /// Verifies a contribution and has the coordinator of its manifest's task record it. One whose manifest is
    /// unreadable or names a task the catalog lacks goes to the default task's coordinator, which rejects it.
    /// </summary>
    public async Task SubmitAsync(ContributionSubmitted message, Guid? messageId, CancellationToken cancellationToken)
    {
        // The catalog is ready only after the default coordinator has enrolled the configured gateways.
        await tasks.CatalogAsync(cancellationToken);
        var facts = await verification.VerifyAsync(message, cancellationToken);
        var task = facts.Manifest is { } manifest ? ContributionAdmission.TaskOf(manifest) : TaskIds.Default;
        var coordinator = await FindAsync(task, cancellationToken) ?? defaultRounds;
        await coordinator.AdmitAsync(facts, messageId, cancellationToken);
    }

    private async Task<RoundCoordinator> StartAsync(string task, CancellationToken cancellationToken)
    {
        var coordinator = create(task);
        await coordinator.InitializeAsync(cancellationToken);
        return coordinator;
    }
}
