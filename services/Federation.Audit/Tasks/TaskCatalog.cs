using System.Collections.Immutable;
using Federation.Contracts.Events;

namespace Federation.Audit.Tasks;

/// <summary>Where a task stands in its life.</summary>
public enum TaskStatus
{
    /// <summary>Rounds may open.</summary>
    Active,

    /// <summary>No round opens until an operator resumes it.</summary>
    Paused,

    /// <summary>No round opens again.</summary>
    Retired,
}

/// <summary>One task as its lifecycle stream tells it.</summary>
/// <param name="Created">How it was created (a v1 creation read as <see cref="TaskCreatedV2.Upcast"/>).</param>
/// <param name="Status">Where it stands.</param>
/// <param name="StatusReason">The operator's reason for a pause or retirement; null when active.</param>
/// <param name="StreamVersion">Events in its lifecycle stream, for the next expected-version append.</param>
public sealed record TaskRecord(TaskCreatedV2 Created, TaskStatus Status, string? StatusReason, long StreamVersion)
{
    /// <summary>The task id.</summary>
    public string Id => Created.Task;
}

/// <summary>
/// Every task of the history, folded from the task lifecycle events. Immutable, so a decision sees one consistent
/// catalog. Events of other kinds leave it unchanged.
/// </summary>
public sealed record TaskCatalog(ImmutableSortedDictionary<string, TaskRecord> Tasks)
{
    /// <summary>The catalog of a history with no tasks.</summary>
    public static TaskCatalog Empty { get; } = new(ImmutableSortedDictionary.Create<string, TaskRecord>(StringComparer.Ordinal));

    /// <summary>The task with this id, or null.</summary>
    public TaskRecord? Find(string id) => Tasks.GetValueOrDefault(id);

    /// <summary>The catalog after one more event at <paramref name="streamVersion"/> of its stream.</summary>
    /// <exception cref="InvalidDataException">A lifecycle event names a task that was never created, or one created twice.</exception>
    public TaskCatalog Apply(IFederationEvent @event, long streamVersion) => @event switch
    {
        TaskCreated created => Create(TaskCreatedV2.Upcast(created), streamVersion),
        TaskCreatedV2 created => Create(created, streamVersion),
        TaskPaused paused => Change(paused.Task, task => task with { Status = TaskStatus.Paused, StatusReason = paused.Reason, StreamVersion = streamVersion }),
        TaskResumed resumed => Change(resumed.Task, task => task with { Status = TaskStatus.Active, StatusReason = null, StreamVersion = streamVersion }),
        TaskRetired retired => Change(retired.Task, task => task with { Status = TaskStatus.Retired, StatusReason = retired.Reason, StreamVersion = streamVersion }),
        _ => this,
    };

    private TaskCatalog Create(TaskCreatedV2 created, long streamVersion) =>
        Tasks.ContainsKey(created.Task)
            ? throw new InvalidDataException($"Task '{created.Task}' is created a second time.")
            : this with { Tasks = Tasks.Add(created.Task, new TaskRecord(created, TaskStatus.Active, null, streamVersion)) };

    private TaskCatalog Change(string id, Func<TaskRecord, TaskRecord> change) =>
        Tasks.TryGetValue(id, out var task)
            ? this with { Tasks = Tasks.SetItem(id, change(task)) }
            : throw new InvalidDataException($"A lifecycle event names task '{id}', which was never created.");
}
