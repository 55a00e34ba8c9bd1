using System.Collections.Immutable;

namespace Federation.Policies;

/// <summary>Whether a policy let a message leave.</summary>
public enum PolicyOutcome
{
    /// <summary>Every check passed; the decision carries the (transformed) payload to send.</summary>
    Allowed,

    /// <summary>A check failed; nothing may be sent and the decision carries no payload.</summary>
    Denied,
}

/// <summary>One check a policy decision performed.</summary>
/// <param name="Name">A stable identifier, one of <see cref="PolicyChecks"/>.</param>
/// <param name="Passed">Whether the check passed.</param>
/// <param name="Detail">What was found, e.g. <c>trained on 120 samples; the policy requires at least 1000</c>.</param>
public sealed record PolicyCheck(string Name, bool Passed, string Detail);

/// <summary>The names of the checks <see cref="PolicyEvaluator"/> performs, in the order it performs them.</summary>
public static class PolicyChecks
{
    /// <summary>The policy takes part in the task: <c>default</c> (the top-level rules) or one named under <c>tasks</c>.</summary>
    public const string TaskNamed = "task-named";

    /// <summary>The policy has not expired at the decision time.</summary>
    public const string NotExpired = "policy-not-expired";

    /// <summary>The policy's <c>allow</c> list contains the message kind.</summary>
    public const string KindAllowed = "kind-allowed";

    /// <summary>The receiving aggregator key is listed in <c>aggregatorKeys</c>.</summary>
    public const string AggregatorKeyAllowed = "aggregator-key-allowed";

    /// <summary>The update was trained on at least <c>minimumSamples</c> samples.</summary>
    public const string MinimumSamples = "minimum-samples";

    /// <summary>The update has exactly the policy's tensors with their shapes.</summary>
    public const string TensorAllowlist = "tensor-allowlist";

    /// <summary>Every value is finite (no NaN or infinity).</summary>
    public const string FiniteValues = "finite-values";

    /// <summary>The trainer clipped every example's gradient to at most <c>privacy.maxExampleL2Norm</c>.</summary>
    public const string ExampleClipping = "example-clipping";

    /// <summary>The trainer's noise multiplier was at least <c>privacy.minNoiseMultiplier</c>.</summary>
    public const string NoiseMultiplier = "noise-multiplier";

    /// <summary>ε over the budget window, this release included, is within the budget.</summary>
    public const string PrivacyBudget = "privacy-budget";

    /// <summary>The update that leaves was scaled down, if longer, to <c>clipping.maxUpdateL2Norm</c>.</summary>
    public const string UpdateClipping = "update-clipping";

    /// <summary>Every reported metric is listed under <c>metrics</c>, once.</summary>
    public const string MetricAllowlist = "metric-allowlist";

    /// <summary>Every reported metric was computed over at least its <c>minimumSamples</c>.</summary>
    public const string MetricMinimumSamples = "metric-minimum-samples";
}

/// <summary>
/// A policy decision: allowed or denied, under which policy (id, version and file hash), after which checks, and —
/// only when allowed — the payload to send.
/// </summary>
/// <typeparam name="TPayload">What an allowed decision lets leave.</typeparam>
public sealed record PolicyDecision<TPayload>
    where TPayload : class
{
    private PolicyDecision(
        PolicyOutcome outcome, ReleaseKind kind, Policy policy, string policyHash, DateTimeOffset decidedAt, ImmutableArray<PolicyCheck> checks, TPayload? payload)
    {
        Outcome = outcome;
        Kind = kind;
        PolicyId = policy.Id;
        PolicyVersion = policy.Version;
        PolicyHash = policyHash;
        DecidedAt = decidedAt;
        Checks = checks;
        Payload = payload;
    }

    /// <summary>Allowed or denied.</summary>
    public PolicyOutcome Outcome { get; }

    /// <summary>True when <see cref="Outcome"/> is <see cref="PolicyOutcome.Allowed"/>.</summary>
    public bool IsAllowed => Outcome == PolicyOutcome.Allowed;

    /// <summary>The kind of message decided on.</summary>
    public ReleaseKind Kind { get; }

    /// <summary>The deciding policy's id.</summary>
    public string PolicyId { get; }

    /// <summary>The deciding policy's version.</summary>
    public int PolicyVersion { get; }

    /// <summary>The SHA-256 of the deciding policy file (<see cref="Federation.Policies.PolicyHash"/>).</summary>
    public string PolicyHash { get; }

    /// <summary>The time the decision was made for (passed in, never read from a clock).</summary>
    public DateTimeOffset DecidedAt { get; }

    /// <summary>The checks performed, in order; a denied decision ends with the failed one.</summary>
    public ImmutableArray<PolicyCheck> Checks { get; }

    /// <summary>The failed check's detail for a denied decision; null when allowed.</summary>
    public string? Reason => IsAllowed ? null : Checks[^1].Detail;

    /// <summary>What may be sent; always null when denied.</summary>
    public TPayload? Payload { get; }

    internal static PolicyDecision<TPayload> Allow(
        ReleaseKind kind, Policy policy, string policyHash, DateTimeOffset now, IEnumerable<PolicyCheck> checks, TPayload payload) =>
        new(PolicyOutcome.Allowed, kind, policy, policyHash, now, [.. checks], payload);

    internal static PolicyDecision<TPayload> Deny(
        ReleaseKind kind, Policy policy, string policyHash, DateTimeOffset now, IEnumerable<PolicyCheck> checks) =>
        new(PolicyOutcome.Denied, kind, policy, policyHash, now, [.. checks], payload: null);
}
