namespace Federation.Policies;

/// <summary>The kinds of message a gateway may let leave the site, each only if its policy allows it.</summary>
public enum ReleaseKind
{
    /// <summary>A model update (safetensors delta); written <c>model-update</c> in policy files.</summary>
    ModelUpdate,

    /// <summary>Aggregate evaluation metrics of a published model; written <c>evaluation-metrics</c>.</summary>
    EvaluationMetrics,
}

/// <summary>The policy-file spelling of <see cref="ReleaseKind"/> values.</summary>
public static class ReleaseKinds
{
    /// <summary>The name of <see cref="ReleaseKind.ModelUpdate"/> in policy files.</summary>
    public const string ModelUpdateName = "model-update";

    /// <summary>The name of <see cref="ReleaseKind.EvaluationMetrics"/> in policy files.</summary>
    public const string EvaluationMetricsName = "evaluation-metrics";

    /// <summary>The policy-file name of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns><c>model-update</c> or <c>evaluation-metrics</c>.</returns>
    public static string ToName(this ReleaseKind kind) => kind switch
    {
        ReleaseKind.ModelUpdate => ModelUpdateName,
        ReleaseKind.EvaluationMetrics => EvaluationMetricsName,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown release kind"),
    };

    /// <summary>Parses a policy-file kind name (exact, case-sensitive).</summary>
    /// <param name="name">The name.</param>
    /// <param name="kind">The kind, when recognised.</param>
    /// <returns>True when <paramref name="name"/> names a kind.</returns>
    public static bool TryParse(string name, out ReleaseKind kind)
    {
        switch (name)
        {
            case ModelUpdateName:
                kind = ReleaseKind.ModelUpdate;
                return true;
            case EvaluationMetricsName:
                kind = ReleaseKind.EvaluationMetrics;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
