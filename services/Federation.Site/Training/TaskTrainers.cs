using Federation.Contracts.Tasks;

namespace Federation.Site.Training;

/// <summary>
/// Which trainer trains (and holds the held-out data of) each task: a task's own trainer when it has one
/// (<c>Gateway:Tasks:&lt;task&gt;:Training</c>), otherwise the gateway's <see cref="Default"/> (<c>Gateway:Training</c>),
/// which is also task <c>default</c>'s. A factory in a photo task and a press-fit task thus gives each its own data.
/// </summary>
public sealed class TaskTrainers
{
    private readonly Dictionary<string, ILocalTrainer> own;

    /// <summary>Creates the lookup.</summary>
    /// <param name="fallback">The trainer of task <c>default</c> and of every task not in <paramref name="perTask"/>.</param>
    /// <param name="perTask">Tasks with their own trainer, by task id; none when null.</param>
    /// <exception cref="ArgumentException">A task id is not a safe one, or is <c>default</c> (whose trainer is <paramref name="fallback"/>).</exception>
    public TaskTrainers(ILocalTrainer fallback, IReadOnlyDictionary<string, ILocalTrainer>? perTask = null)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        Default = fallback;
        own = new Dictionary<string, ILocalTrainer>(StringComparer.Ordinal);
        foreach (var (task, trainer) in perTask ?? new Dictionary<string, ILocalTrainer>())
        {
            if (TaskIds.Problem(task) is { } problem)
            {
                throw new ArgumentException(problem, nameof(perTask));
            }

            if (task == TaskIds.Default)
            {
                throw new ArgumentException("Task default's trainer is the fallback trainer, not one of its own.", nameof(perTask));
            }

            ArgumentNullException.ThrowIfNull(trainer);
            own.Add(task, trainer);
        }
    }

    /// <summary>The trainer of task <c>default</c> and of every task without its own.</summary>
    public ILocalTrainer Default { get; }

    /// <summary>The tasks that have their own trainer, in ordinal order.</summary>
    public IReadOnlyList<string> TasksWithOwnTrainer => [.. own.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The trainer of <paramref name="task"/>: its own, or <see cref="Default"/>.</summary>
    /// <param name="task">The announced task.</param>
    public ILocalTrainer For(string task) => own.TryGetValue(task, out var trainer) ? trainer : Default;
}
