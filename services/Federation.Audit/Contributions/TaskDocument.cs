using Federation.Contracts.Events;

namespace Federation.Audit.Contributions;

/// <summary>
/// The one rule for signed documents that gained a task in version 2 (contribution manifests, evaluation reports):
/// v1, from before tasks, names no task and is one of task <c>default</c>; v2 must name its task. Both versions share
/// one record, so the version only decides whether <c>task</c> must be there.
/// </summary>
internal static class TaskDocument
{
    /// <summary>
    /// The document, or null when it cannot be read at all. A readable document whose version and task disagree is
    /// returned with a <paramref name="rejection"/>, so a caller can still name its gateway.
    /// </summary>
    public static T? Parse<T>(string json, string v1Type, string v2Type, Func<T, string> typeOf, Func<T, string?> taskOf, out Rejection? rejection)
        where T : class => Parse(json, v1Type, [v2Type], typeOf, taskOf, out rejection);

    /// <summary>As the other overload, for a document with several later versions that all must name their task.</summary>
    public static T? Parse<T>(string json, string v1Type, IReadOnlyList<string> taskTypes, Func<T, string> typeOf, Func<T, string?> taskOf, out Rejection? rejection)
        where T : class
    {
        var document = SignedDocument.Parse<T>(json, v1Type, read => taskTypes.Contains(typeOf(read)) ? v1Type : typeOf(read), out rejection);
        if (document is null)
        {
            return null;
        }

        var type = typeOf(document);
        rejection = (taskTypes.Contains(type), taskOf(document)) switch
        {
            (false, { } task) => new Rejection(RejectionReason.MalformedManifest, $"A {v1Type} names no task; one of task '{task}' is a {taskTypes[0]}."),
            (true, null) => new Rejection(RejectionReason.MalformedManifest, $"A {type} must name its task ('task')."),
            _ => null,
        };
        return document;
    }
}
