using Federation.Contracts.Tasks;

namespace Federation.Contracts.Events;

/// <summary>
/// Names of the streams in the event history. Each task has its own streams (<c>task-weld-photos</c>,
/// <c>task-weld-photos/round-3</c>, <c>task-weld-photos/models</c>, …), so tasks order and decide independently. The
/// task <see cref="TaskIds.Default"/> — what a history from before tasks is — keeps the round, models and evaluations
/// stream names it had (<c>round-3</c>, <c>models</c>, <c>evaluations</c>); its lifecycle and releases streams are new.
/// </summary>
public static class EventStreams
{
    private const string TaskPrefix = "task-";
    private const string LegacyRoundPrefix = "round-";
    private const string LegacyModels = "models";
    private const string LegacyEvaluations = "evaluations";

    /// <summary>A task's lifecycle: created, paused, resumed, retired.</summary>
    public static string Task(string task) => TaskPrefix + task;

    /// <summary>Opening, contributions and closing of one round of a task.</summary>
    public static string Round(string task, int round) =>
        task == TaskIds.Default ? $"{LegacyRoundPrefix}{round}" : $"{Task(task)}/round-{round}";

    /// <summary>Every published model version of a task, in order.</summary>
    public static string Models(string task) => task == TaskIds.Default ? LegacyModels : $"{Task(task)}/models";

    /// <summary>Every recorded or rejected evaluation report of a task.</summary>
    public static string Evaluations(string task) => task == TaskIds.Default ? LegacyEvaluations : $"{Task(task)}/evaluations";

    /// <summary>Every release decision (released or held) about a task's model versions.</summary>
    public static string Releases(string task) => $"{Task(task)}/releases";

    /// <summary>The stream of one gateway's key enrolments, rotations, revocations and allowed policies.</summary>
    public static string Gateway(string gatewayId) => $"gateway-{gatewayId}";

    /// <summary>Rejected contributions that name no readable round (malformed or unknown round).</summary>
    public const string Unattributed = "unattributed-contributions";

    /// <summary>
    /// The task a stream belongs to, or null for streams of no task (gateways, unattributed contributions).
    /// </summary>
    public static string? TaskOf(string streamId)
    {
        if (streamId.StartsWith(TaskPrefix, StringComparison.Ordinal))
        {
            var rest = streamId[TaskPrefix.Length..];
            var slash = rest.IndexOf('/');
            return slash < 0 ? rest : rest[..slash];
        }

        return streamId is LegacyModels or LegacyEvaluations || RoundOf(streamId) is not null ? TaskIds.Default : null;
    }

    /// <summary>The round number of a round stream (of any task), or null when the stream is not a round stream.</summary>
    public static int? RoundOf(string streamId)
    {
        var slash = streamId.LastIndexOf('/');
        var name = slash < 0 ? streamId : streamId[(slash + 1)..];
        if (slash >= 0 && !streamId.StartsWith(TaskPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        return name.StartsWith(LegacyRoundPrefix, StringComparison.Ordinal)
               && int.TryParse(name.AsSpan(LegacyRoundPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var round)
               && round >= 1
            ? round
            : null;
    }
}
