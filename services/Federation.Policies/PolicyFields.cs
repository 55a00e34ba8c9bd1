namespace Federation.Policies;

/// <summary>
/// The field names of the policy file at each level, as the loader accepts them. <c>policies/policy.schema.json</c>
/// is tested against these tables so that the two cannot drift apart.
/// </summary>
internal static class PolicyFields
{
    public const string Id = "id";
    public const string Name = "name";
    public const string Version = "version";
    public const string Expires = "expires";
    public const string Allow = "allow";
    public const string AggregatorKeys = "aggregatorKeys";
    public const string MinimumSamples = "minimumSamples";
    public const string Tensors = "tensors";
    public const string Clipping = "clipping";
    public const string Privacy = "privacy";
    public const string Metrics = "metrics";
    public const string Tasks = "tasks";
    public const string Trainers = "trainers";
    public const string MaxUpdateL2Norm = "maxUpdateL2Norm";
    public const string MaxExampleL2Norm = "maxExampleL2Norm";
    public const string MinNoiseMultiplier = "minNoiseMultiplier";
    public const string Budget = "budget";
    public const string Epsilon = "epsilon";
    public const string Delta = "delta";
    public const string Window = "window";

    /// <summary>Top-level fields.</summary>
    public static readonly string[] Root = [Id, Name, Version, Expires, Allow, AggregatorKeys, MinimumSamples, Tensors, Clipping, Privacy, Metrics, Trainers, Tasks];

    /// <summary>Fields of each entry under <c>tasks</c>: the top-level rules that can differ per task.</summary>
    public static readonly string[] TaskFields = [Allow, MinimumSamples, Tensors, Clipping, Privacy, Metrics, Trainers];

    /// <summary>Fields every entry under <c>tasks</c> needs.</summary>
    public static readonly string[] TaskRequired = [Allow];

    /// <summary>Top-level fields every policy needs.</summary>
    public static readonly string[] RootRequired = [Id, Version, Expires, Allow, AggregatorKeys];

    /// <summary>Fields needed, at the top level or in a task, when its <c>allow</c> lists <c>model-update</c>.</summary>
    public static readonly string[] RequiredForModelUpdate = [MinimumSamples, Tensors, Clipping, Privacy];

    /// <summary>Fields needed, at the top level or in a task, when its <c>allow</c> lists <c>evaluation-metrics</c>.</summary>
    public static readonly string[] RequiredForEvaluationMetrics = [Metrics];

    /// <summary>Fields of <c>clipping</c>, all required.</summary>
    public static readonly string[] ClippingFields = [MaxUpdateL2Norm];

    /// <summary>Fields of <c>privacy</c>, all required.</summary>
    public static readonly string[] PrivacyFields = [MaxExampleL2Norm, MinNoiseMultiplier, Budget];

    /// <summary>Fields of <c>privacy.budget</c>, all required.</summary>
    public static readonly string[] BudgetFields = [Epsilon, Delta, Window];

    /// <summary>Fields of each entry under <c>metrics</c>, all required.</summary>
    public static readonly string[] MetricFields = [MinimumSamples];
}
