using System.Globalization;
using Federation.Contracts.Tasks;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;
using Federation.Learning.Training;

namespace Federation.Policies;

/// <summary>
/// Decides, as pure functions of their inputs (the time included), whether a model update or a set of evaluation
/// metrics may leave the site under a policy, and transforms what may.
/// </summary>
/// <remarks>
/// Checks run in a fixed order and stop at the first failure, which becomes the decision's reason; a denied decision
/// carries no payload. Everything fails closed: a task the policy does not name, an expired policy, a kind not listed, an unknown recipient, too few
/// samples, an unlisted or misshapen tensor, a non-finite value or an exhausted budget each deny.
/// </remarks>
public static class PolicyEvaluator
{
    /// <summary>
    /// Judges a model update trained with DP-SGD under the rules of its task (<see cref="ModelUpdateRequest.Task"/>):
    /// the policy takes part in the task; policy not expired; <c>model-update</c> allowed; recipient key
    /// allowed; enough samples; exactly the allowlisted tensors and shapes; finite values; per-example clipping norm at
    /// most <c>privacy.maxExampleL2Norm</c>; noise multiplier at least <c>privacy.minNoiseMultiplier</c>; ε over the
    /// budget window, this release included, within <c>privacy.budget</c>. Then the update is scaled down, if longer,
    /// to <c>clipping.maxUpdateL2Norm</c>.
    /// </summary>
    /// <param name="policy">The policy in force.</param>
    /// <param name="policyHash">The policy file's <see cref="PolicyHash"/>, recorded in the decision.</param>
    /// <param name="request">The update and the DP-SGD parameters it was trained with.</param>
    /// <param name="ledger">The privacy spent so far; only the task's own releases count against the task's budget.</param>
    /// <param name="now">The decision time; also the release time recorded in the ledger.</param>
    /// <returns>The decision; when allowed, the payload holds the clipped update and the updated ledger.</returns>
    /// <remarks>
    /// <para>
    /// No noise is added here: the privacy comes from the trainer, which clipped every example's gradient and noised
    /// every step (<see cref="Federation.Learning.Training.DifferentialPrivacy"/>). The release is charged as
    /// <c>LocalSteps</c> steps of the sampled Gaussian mechanism with the trainer's noise multiplier z and Poisson
    /// sampling rate q = min(1, <c>BatchSize</c> / <c>SampleCount</c>), the (z, q, steps) under which DP-SGD's
    /// guarantee holds. The evaluator trusts the request to state what the trainer did; the gateway, which runs
    /// both, must fill it from the very options it trained with.
    /// </para>
    /// <para>
    /// Update clipping comes last and never fails: it transforms the output of a DP mechanism without looking at the
    /// data again, so it is post-processing and costs no privacy; it bounds how far one site can pull the aggregate.
    /// </para>
    /// </remarks>
    public static PolicyDecision<ReleasedModelUpdate> EvaluateModelUpdate(
        Policy policy, string policyHash, ModelUpdateRequest request, PrivacyLedger ledger, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Update);
        ArgumentNullException.ThrowIfNull(ledger);
        RequireHash(policyHash);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.BatchSize, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.LocalSteps, nameof(request));

        const ReleaseKind Kind = ReleaseKind.ModelUpdate;
        var checks = new List<PolicyCheck>();
        PolicyDecision<ReleasedModelUpdate> Deny(string name, string detail)
        {
            checks.Add(new PolicyCheck(name, Passed: false, detail));
            return PolicyDecision<ReleasedModelUpdate>.Deny(Kind, policy, policyHash, now, checks);
        }

        var (failed, rules) = CommonChecks(policy, request.Task, Kind, request.AggregatorKeyId, now, checks);
        if (failed is not null)
        {
            return Deny(failed.Name, failed.Detail);
        }

        // The loader guarantees these whenever model-update is allowed; a policy without them allows nothing.
        if (rules!.MinimumSamples is not { } minimumSamples || rules.Clipping is not { } clipping
            || rules.Privacy is not { } privacy || rules.Tensors.IsEmpty)
        {
            return Deny(PolicyChecks.KindAllowed, "the policy allows model-update but lacks its minimumSamples, tensors, clipping or privacy rules");
        }

        if (request.SampleCount < minimumSamples)
        {
            return Deny(PolicyChecks.MinimumSamples, Text($"trained on {request.SampleCount} samples; the policy requires at least {minimumSamples}"));
        }

        checks.Add(new PolicyCheck(PolicyChecks.MinimumSamples, true, Text($"trained on {request.SampleCount} samples (at least {minimumSamples})")));

        if (DescribeTensorDifference(request.Update, rules) is { } difference)
        {
            return Deny(PolicyChecks.TensorAllowlist, difference);
        }

        checks.Add(new PolicyCheck(PolicyChecks.TensorAllowlist, true, Text($"exactly the {rules.Tensors.Length} allowlisted tensors with their shapes")));

        if (request.Update.FindNonFinite() is { } nonFinite)
        {
            return Deny(PolicyChecks.FiniteValues, nonFinite);
        }

        checks.Add(new PolicyCheck(PolicyChecks.FiniteValues, true, Text($"all {request.Update.ElementCount} values are finite")));

        // Written as "not (within bounds)" so that NaN fails too.
        double exampleNorm = request.ExampleClippingNorm;
        if (!(exampleNorm > 0 && exampleNorm <= privacy.MaxExampleL2Norm))
        {
            return Deny(PolicyChecks.ExampleClipping, Text(
                $"trained with per-example clipping norm {exampleNorm:G6}; the policy requires a positive norm of at most {privacy.MaxExampleL2Norm:G6}"));
        }

        checks.Add(new PolicyCheck(PolicyChecks.ExampleClipping, true, Text(
            $"one record changes each noisy sum by at most L2 norm {exampleNorm:G6} (at most {privacy.MaxExampleL2Norm:G6}); the local-training check says how the trainer bounded it")));

        double z = request.NoiseMultiplier;
        if (!(z >= privacy.MinNoiseMultiplier) || !double.IsFinite(z))
        {
            return Deny(PolicyChecks.NoiseMultiplier, Text(
                $"trained with noise multiplier {z:G6}; the policy requires at least {privacy.MinNoiseMultiplier:G6}"));
        }

        checks.Add(new PolicyCheck(PolicyChecks.NoiseMultiplier, true, Text(
            $"each of the {request.LocalSteps} noisy steps got Gaussian noise with σ = {z * exampleNorm:G6} per value on a sum whose sensitivity to one record is {exampleNorm:G6} (noise multiplier {z:G6}, at least {privacy.MinNoiseMultiplier:G6})")));

        double samplingRate = DifferentialPrivacy.SamplingRate(request.SampleCount, request.BatchSize);
        var release = new PrivacyRelease(now, z, samplingRate, request.LocalSteps, request.Task);
        var budget = privacy.Budget;
        var assessment = ledger.Assess(release, budget);
        string window = WindowText.Format(budget.Window);
        if (!assessment.WithinBudget)
        {
            string when = assessment.NeverFits
                ? Text($"a single release with noise multiplier {z:G6}, sampling rate {samplingRate:G6} and {request.LocalSteps} steps costs more than the whole budget, so waiting will not help")
                : $"the window frees up enough budget at {Instant(assessment.FreesUpAt!.Value)}";
            return Deny(PolicyChecks.PrivacyBudget, Text(
                $"privacy budget spent for task '{request.Task}': this release would bring ε to {assessment.Epsilon:G4} over the last {window} (budget ε = {budget.Epsilon:G6} at δ = {budget.Delta:G6}, {assessment.ReleasesInWindow} earlier releases in the window); {when}"));
        }

        checks.Add(new PolicyCheck(PolicyChecks.PrivacyBudget, true, Text(
            $"ε = {assessment.Epsilon:G4} of {budget.Epsilon:G6} at δ = {budget.Delta:G6} over the last {window}, this release ({request.LocalSteps} steps at sampling rate {samplingRate:G6}) and {assessment.ReleasesInWindow} earlier ones of task '{request.Task}' included")));

        var clipped = L2Clipping.Clip(request.Update, clipping.MaxUpdateL2Norm);
        checks.Add(new PolicyCheck(PolicyChecks.UpdateClipping, true, clipped.WasClipped
            ? Text($"update L2 norm {clipped.OriginalNorm:G6} scaled down to {clipping.MaxUpdateL2Norm:G6}")
            : Text($"update L2 norm {clipped.OriginalNorm:G6} within {clipping.MaxUpdateL2Norm:G6}")));

        var payload = new ReleasedModelUpdate(
            clipped.Clipped, clipped.OriginalNorm, clipped.WasClipped, release, assessment.Epsilon, ledger.Record(release));
        return PolicyDecision<ReleasedModelUpdate>.Allow(Kind, policy, policyHash, now, checks, payload);
    }

    /// <summary>
    /// Judges aggregate evaluation metrics: policy not expired; <c>evaluation-metrics</c> allowed; recipient key
    /// allowed; every metric listed under <c>metrics</c>, reported once, with a finite value, and computed over at least
    /// its <c>minimumSamples</c>. Only aggregate values of listed names can pass; there is no per-sample output.
    /// </summary>
    /// <param name="policy">The policy in force.</param>
    /// <param name="policyHash">The policy file's <see cref="PolicyHash"/>, recorded in the decision.</param>
    /// <param name="metrics">The metrics to report.</param>
    /// <param name="aggregatorKeyId">The key id of the aggregator that will receive them.</param>
    /// <param name="now">The decision time.</param>
    /// <param name="task">The task whose model was evaluated; its rules apply, and a task the policy does not name is refused.</param>
    /// <returns>The decision; when allowed, the payload holds the metrics unchanged.</returns>
    public static PolicyDecision<ReleasedMetrics> EvaluateMetrics(
        Policy policy, string policyHash, IReadOnlyList<MetricReport> metrics, string aggregatorKeyId, DateTimeOffset now, string task = TaskIds.Default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(task);
        RequireHash(policyHash);

        const ReleaseKind Kind = ReleaseKind.EvaluationMetrics;
        var checks = new List<PolicyCheck>();
        PolicyDecision<ReleasedMetrics> Deny(string name, string detail)
        {
            checks.Add(new PolicyCheck(name, Passed: false, detail));
            return PolicyDecision<ReleasedMetrics>.Deny(Kind, policy, policyHash, now, checks);
        }

        var (failed, taskRules) = CommonChecks(policy, task, Kind, aggregatorKeyId, now, checks);
        if (failed is not null)
        {
            return Deny(failed.Name, failed.Detail);
        }

        var rules = taskRules!.Metrics.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            ArgumentNullException.ThrowIfNull(metric, nameof(metrics));
            if (!rules.ContainsKey(metric.Name))
            {
                return Deny(PolicyChecks.MetricAllowlist, Text($"metric '{metric.Name}' is not listed in the policy's metrics ({string.Join(", ", rules.Keys)})"));
            }

            if (!seen.Add(metric.Name))
            {
                return Deny(PolicyChecks.MetricAllowlist, Text($"metric '{metric.Name}' is reported more than once"));
            }

            if (!double.IsFinite(metric.Value))
            {
                return Deny(PolicyChecks.MetricAllowlist, Text($"metric '{metric.Name}' has the non-finite value {metric.Value}"));
            }
        }

        checks.Add(new PolicyCheck(PolicyChecks.MetricAllowlist, true, Text($"{metrics.Count} listed metrics, each once, with finite values")));

        foreach (var metric in metrics)
        {
            long minimum = rules[metric.Name].MinimumSamples;
            if (metric.SampleCount < minimum)
            {
                return Deny(PolicyChecks.MetricMinimumSamples, Text(
                    $"metric '{metric.Name}' was computed over {metric.SampleCount} samples; the policy requires at least {minimum}"));
            }
        }

        checks.Add(new PolicyCheck(PolicyChecks.MetricMinimumSamples, true, "every metric was computed over at least its minimum number of samples"));
        return PolicyDecision<ReleasedMetrics>.Allow(Kind, policy, policyHash, now, checks, new ReleasedMetrics([.. metrics]));
    }

    /// <summary>
    /// Refuses, before any data is read or any training is run, a task the policy does not take part in: the same
    /// first check <see cref="EvaluateModelUpdate"/> and <see cref="EvaluateMetrics"/> make, so the refusal a gateway
    /// records early reads exactly as a late one would.
    /// </summary>
    /// <typeparam name="TPayload">The payload type of the decision the caller records.</typeparam>
    /// <param name="policy">The policy in force.</param>
    /// <param name="policyHash">The policy file's <see cref="PolicyHash"/>.</param>
    /// <param name="kind">What was to leave.</param>
    /// <param name="task">The announced task.</param>
    /// <param name="now">The decision time.</param>
    /// <returns>The denial when the policy does not name <paramref name="task"/>; null when it takes part.</returns>
    public static PolicyDecision<TPayload>? RefuseUnnamedTask<TPayload>(Policy policy, string policyHash, ReleaseKind kind, string task, DateTimeOffset now)
        where TPayload : class
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(task);
        RequireHash(policyHash);
        var check = TaskCheck(policy, task);
        return check.Passed ? null : PolicyDecision<TPayload>.Deny(kind, policy, policyHash, now, [check]);
    }

    /// <summary>Whether the policy takes part in <paramref name="task"/>: the first check of every decision.</summary>
    private static PolicyCheck TaskCheck(Policy policy, string task)
    {
        if (policy.RulesFor(task) is not null)
        {
            return new PolicyCheck(PolicyChecks.TaskNamed, true, $"takes part in task '{task}'");
        }

        return new PolicyCheck(PolicyChecks.TaskNamed, false, Text(
            $"policy {policy.Id} v{policy.Version} does not take part in task '{task}' (it names {string.Join(", ", policy.Tasks.Keys.Select(id => $"'{id}'"))}); nothing is trained or sent for it"));
    }

    /// <summary>Task, expiry, kind and recipient, common to every kind; returns the failed check, or the task's rules.</summary>
    private static (PolicyCheck? Failed, TaskRules? Rules) CommonChecks(
        Policy policy, string task, ReleaseKind kind, string? aggregatorKeyId, DateTimeOffset now, List<PolicyCheck> checks)
    {
        var taken = TaskCheck(policy, task);
        if (!taken.Passed)
        {
            return (taken, null);
        }

        checks.Add(taken);
        var rules = policy.RulesFor(task)!;
        string expires = Instant(policy.Expires);
        if (policy.IsExpiredAt(now))
        {
            return (new PolicyCheck(PolicyChecks.NotExpired, false, Text($"policy '{policy.Id}' version {policy.Version} expired at {expires}; nothing may leave")), null);
        }

        checks.Add(new PolicyCheck(PolicyChecks.NotExpired, true, $"valid until {expires}"));

        if (!rules.Allows(kind))
        {
            string allowed = rules.AllowedKinds.IsEmpty ? "nothing" : string.Join(", ", rules.AllowedKinds.Select(k => k.ToName()));
            string where = task == TaskIds.Default ? "" : $" for task '{task}'";
            return (new PolicyCheck(PolicyChecks.KindAllowed, false, $"the policy does not allow {kind.ToName()}{where} (allow: {allowed})"), null);
        }

        checks.Add(new PolicyCheck(PolicyChecks.KindAllowed, true, $"{kind.ToName()} is allowed"));

        if (aggregatorKeyId is null || !policy.AggregatorKeyIds.Contains(aggregatorKeyId, StringComparer.Ordinal))
        {
            return (new PolicyCheck(PolicyChecks.AggregatorKeyAllowed, false, $"aggregator key '{aggregatorKeyId}' is not listed in the policy's aggregatorKeys"), null);
        }

        checks.Add(new PolicyCheck(PolicyChecks.AggregatorKeyAllowed, true, $"aggregator key {aggregatorKeyId} is allowed"));
        return (null, rules);
    }

    /// <summary>The first difference, in name order, between the update's tensors and the policy's; null when equal.</summary>
    private static string? DescribeTensorDifference(TensorSet update, TaskRules policy)
    {
        var rules = policy.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var tensor in update)
        {
            if (!rules.TryGetValue(tensor.Name, out var rule))
            {
                return $"tensor '{tensor.Name}' is not allowlisted by the policy and may not leave";
            }

            if (!tensor.Shape.AsSpan().SequenceEqual(rule.Shape.AsSpan()))
            {
                return $"tensor '{tensor.Name}' has shape {Shape(tensor.Shape)}; the policy allows only {Shape(rule.Shape.AsSpan())}";
            }
        }

        foreach (var rule in policy.Tensors)
        {
            if (!update.TryGet(rule.Name, out _))
            {
                return $"tensor '{rule.Name}' {Shape(rule.Shape.AsSpan())} required by the policy is missing from the update";
            }
        }

        return null;
    }

    private static string Shape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return $"[{string.Join(", ", parts)}]";
    }

    private static void RequireHash(string policyHash)
    {
        if (!PolicyHash.IsWellFormed(policyHash))
        {
            throw new ArgumentException("the policy hash must be 64 lowercase hex digits (PolicyHash.Compute of the policy file)", nameof(policyHash));
        }
    }

    /// <summary>An instant in UTC, to the second, e.g. <c>2026-07-01T12:00:00Z</c>.</summary>
    private static string Instant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
