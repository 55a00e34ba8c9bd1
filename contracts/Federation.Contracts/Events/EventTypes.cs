namespace Federation.Contracts.Events;

/// <summary>
/// The stored type name of every event. Names are pinned here, not derived from CLR names,
/// so renaming a class never changes history; a changed shape gets a new name (…v2).
/// </summary>
public static class EventTypes
{
    private static readonly Dictionary<Type, string> NamesByType = new()
    {
        [typeof(RoundOpened)] = "federation.round-opened.v1",
        [typeof(ContributionAccepted)] = "federation.contribution-accepted.v1",
        [typeof(ContributionRejected)] = "federation.contribution-rejected.v1",
        [typeof(RoundClosed)] = "federation.round-closed.v1",
        [typeof(ModelVersionPublished)] = "federation.model-version-published.v1",
        [typeof(EvaluationRecorded)] = "federation.evaluation-recorded.v1",
        [typeof(EvaluationRejected)] = "federation.evaluation-rejected.v1",
        [typeof(GatewayKeyEnrolled)] = "federation.gateway-key-enrolled.v1",
        [typeof(GatewayKeyRotated)] = "federation.gateway-key-rotated.v1",
        [typeof(GatewayKeyRevoked)] = "federation.gateway-key-revoked.v1",
        [typeof(GatewayPoliciesAllowed)] = "federation.gateway-policies-allowed.v1",
        [typeof(TaskCreated)] = "federation.task-created.v1",
        [typeof(TaskCreatedV2)] = "federation.task-created.v2",
        [typeof(TaskPaused)] = "federation.task-paused.v1",
        [typeof(TaskResumed)] = "federation.task-resumed.v1",
        [typeof(TaskRetired)] = "federation.task-retired.v1",
        [typeof(ModelVersionReleased)] = "federation.model-version-released.v1",
        [typeof(ModelVersionHeld)] = "federation.model-version-held.v1",
    };

    private static readonly Dictionary<string, Type> TypesByName =
        NamesByType.ToDictionary(pair => pair.Value, pair => pair.Key);

    /// <summary>Every event type and its stored name.</summary>
    public static IReadOnlyDictionary<Type, string> All => NamesByType;

    /// <summary>The stored name of an event type.</summary>
    public static string NameOf(Type eventType) =>
        NamesByType.TryGetValue(eventType, out var name)
            ? name
            : throw new ArgumentException($"{eventType.Name} is not a registered federation event.", nameof(eventType));

    /// <summary>The event type stored under a name, or null for an unknown name.</summary>
    public static Type? TypeOf(string name) => TypesByName.GetValueOrDefault(name);
}
