using System.Collections.Immutable;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Policies.Tests;

public class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImmutableArray<byte> Seed = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    private static readonly string[] AllModelUpdateChecks =
    [
        PolicyChecks.NotExpired, PolicyChecks.KindAllowed, PolicyChecks.AggregatorKeyAllowed, PolicyChecks.MinimumSamples,
        PolicyChecks.TensorAllowlist, PolicyChecks.FiniteValues, PolicyChecks.Clipping, PolicyChecks.Noise, PolicyChecks.PrivacyBudget,
    ];

    private static readonly Policy Policy = PolicyText.Parse(PolicyText.Valid);

    /// <summary>An update in the policy's layout with norm well above the clipping bound of 1.</summary>
    private static TensorSet Update(float fill = 0.05f, string weightName = "linear.weight", int inputs = 784) => new(
    [
        new Tensor(weightName, [10, inputs], [.. Enumerable.Range(0, 10 * inputs).Select(i => i % 2 == 0 ? fill : -fill)]),
        new Tensor("linear.bias", [10], [.. Enumerable.Repeat(fill, 10)]),
    ]);

    private static ModelUpdateRequest Request(
        TensorSet? update = null, long sampleCount = 5000, string key = PolicyText.AggregatorKey, ImmutableArray<byte>? seed = null) =>
        new(update ?? Update(), sampleCount, BatchSize: 50, LocalSteps: 100, key, seed ?? Seed);

    private static PolicyDecision<ReleasedModelUpdate> Evaluate(
        ModelUpdateRequest? request = null, Policy? policy = null, PrivacyLedger? ledger = null, DateTimeOffset? now = null) =>
        PolicyEvaluator.EvaluateModelUpdate(policy ?? Policy, PolicyText.PolicyHash, request ?? Request(), ledger ?? PrivacyLedger.Empty, now ?? Now);

    private static void ShouldBeDeniedBy<T>(PolicyDecision<T> decision, string check, string detailFragment)
        where T : class
    {
        decision.Outcome.ShouldBe(PolicyOutcome.Denied);
        decision.IsAllowed.ShouldBeFalse();
        decision.Payload.ShouldBeNull();
        decision.Checks[^1].Name.ShouldBe(check);
        decision.Checks[^1].Passed.ShouldBeFalse();
        decision.Checks.SkipLast(1).ShouldAllBe(c => c.Passed);
        decision.Reason.ShouldNotBeNull().ShouldContain(detailFragment);
    }

    // ---- Model updates --------------------------------------------------------------------------------------

    [Fact]
    public void Allowed_update_is_clipped_noised_recorded_and_attributed_to_the_policy()
    {
        var update = Update();

        var decision = Evaluate(Request(update));

        decision.IsAllowed.ShouldBeTrue();
        decision.Reason.ShouldBeNull();
        decision.PolicyHash.ShouldBe(PolicyText.PolicyHash);
        decision.PolicyId.ShouldBe("factory-1");
        decision.PolicyVersion.ShouldBe(3);
        decision.DecidedAt.ShouldBe(Now);
        decision.Kind.ShouldBe(ReleaseKind.ModelUpdate);
        decision.Checks.Select(c => c.Name).ShouldBe(AllModelUpdateChecks);
        decision.Checks.ShouldAllBe(c => c.Passed);

        var released = decision.Payload.ShouldNotBeNull();
        released.OriginalNorm.ShouldBe(update.L2Norm());
        released.WasClipped.ShouldBeTrue();
        released.NoiseStandardDeviation.ShouldBe(1.1 * 1.0, tolerance: 1e-12);
        released.Release.ShouldBe(new PrivacyRelease(Now, 1.1, 50.0 / 5000, 100));
        released.Ledger.Releases.ShouldBe([released.Release]);
        released.EpsilonInWindow.ShouldBe(RdpAccountant.ComputeEpsilon(1.1, 0.01, 100, 1e-5), tolerance: 1e-12);
    }

    [Fact]
    public void Clipping_bounds_the_norm_before_noise_and_noise_has_the_policy_sigma()
    {
        var update = Update(fill: 3f);
        var clipped = L2Clipping.Clip(update, 1.0).Clipped;

        var released = Evaluate(Request(update)).Payload.ShouldNotBeNull();

        clipped.L2Norm().ShouldBeLessThanOrEqualTo(1.0);
        var residual = released.Update.Subtract(clipped).SelectMany(t => t.Values).Select(v => (double)v).ToArray();
        double std = Math.Sqrt(residual.Sum(v => v * v) / residual.Length);

        // 7860 draws: the sample standard deviation is within 3% of σ = z·C = 1.1 with overwhelming probability.
        std.ShouldBe(1.1, tolerance: 0.033);
        residual.Average().ShouldBe(0, tolerance: 4 * 1.1 / Math.Sqrt(residual.Length));
    }

    [Fact]
    public void Noise_is_determined_by_the_seed()
    {
        var a = Evaluate(Request(seed: Seed)).Payload!.Update;
        var b = Evaluate(Request(seed: Seed)).Payload!.Update;
        var c = Evaluate(Request(seed: [.. Enumerable.Repeat((byte)9, 32)])).Payload!.Update;

        a["linear.bias"].Values.ShouldBe(b["linear.bias"].Values);
        a["linear.bias"].Values.ShouldNotBe(c["linear.bias"].Values);
    }

    [Fact]
    public void Expired_policy_lets_nothing_leave()
    {
        var decision = Evaluate(now: Policy.Expires);

        ShouldBeDeniedBy(decision, PolicyChecks.NotExpired, "expired at 2027-01-01T00:00:00Z; nothing may leave");
        decision.Checks.Length.ShouldBe(1);
    }

    [Fact]
    public void Kind_not_allowed_is_denied()
    {
        var policy = PolicyText.Parse(("allow: [model-update, evaluation-metrics]", "allow: [evaluation-metrics]"));

        ShouldBeDeniedBy(Evaluate(policy: policy), PolicyChecks.KindAllowed, "does not allow model-update");
    }

    [Fact]
    public void Policy_that_allows_nothing_denies_everything()
    {
        var policy = PolicyText.Parse(("allow: [model-update, evaluation-metrics]", "allow: []"));

        ShouldBeDeniedBy(Evaluate(policy: policy), PolicyChecks.KindAllowed, "(allow: nothing)");
        ShouldBeDeniedBy(
            PolicyEvaluator.EvaluateMetrics(policy, PolicyText.PolicyHash, [new MetricReport("accuracy", 0.9, 500)], PolicyText.AggregatorKey, Now),
            PolicyChecks.KindAllowed,
            "does not allow evaluation-metrics");
    }

    [Fact]
    public void Unlisted_aggregator_key_is_denied()
    {
        ShouldBeDeniedBy(Evaluate(Request(key: PolicyText.OtherKey)), PolicyChecks.AggregatorKeyAllowed, PolicyText.OtherKey);
    }

    [Fact]
    public void Too_few_samples_is_denied_without_payload()
    {
        var decision = Evaluate(Request(sampleCount: 999));

        ShouldBeDeniedBy(decision, PolicyChecks.MinimumSamples, "trained on 999 samples; the policy requires at least 1000");
    }

    [Fact]
    public void Tensor_not_on_the_allowlist_may_not_leave()
    {
        var update = new TensorSet([.. Update(), new Tensor("operator.override", [3], [1f, 2f, 3f])]);

        ShouldBeDeniedBy(Evaluate(Request(update)), PolicyChecks.TensorAllowlist, "tensor 'operator.override' is not allowlisted by the policy and may not leave");
    }

    [Fact]
    public void Missing_tensor_is_denied()
    {
        var update = new TensorSet([Update()["linear.weight"]]);

        ShouldBeDeniedBy(Evaluate(Request(update)), PolicyChecks.TensorAllowlist, "tensor 'linear.bias' [10] required by the policy is missing");
    }

    [Fact]
    public void Tensor_with_another_shape_is_denied()
    {
        ShouldBeDeniedBy(
            Evaluate(Request(Update(inputs: 783))),
            PolicyChecks.TensorAllowlist,
            "tensor 'linear.weight' has shape [10, 783]; the policy allows only [10, 784]");
    }

    [Fact]
    public void Non_finite_value_is_denied()
    {
        var update = Update();
        update["linear.bias"].Values[4] = float.PositiveInfinity;

        ShouldBeDeniedBy(Evaluate(Request(update)), PolicyChecks.FiniteValues, "tensor 'linear.bias' has Infinity at index 4");
    }

    [Fact]
    public void Budget_runs_out_over_several_releases_and_the_reason_says_when_it_frees_up()
    {
        var policy = PolicyText.Parse(("    epsilon: 8.0", "    epsilon: 1.2"));
        var ledger = PrivacyLedger.Empty;
        var accountant = new RdpAccountant();
        var allowedAt = new List<DateTimeOffset>();
        PolicyDecision<ReleasedModelUpdate>? denied = null;

        for (int round = 0; round < 20 && denied is null; round++)
        {
            var now = Now.AddHours(round);
            var decision = Evaluate(policy: policy, ledger: ledger, now: now);
            accountant.Record(1.1, 0.01, 100);
            bool fits = accountant.Epsilon(1e-5) <= 1.2;

            decision.IsAllowed.ShouldBe(fits, $"round {round}: the accountant says ε = {accountant.Epsilon(1e-5)}");
            if (decision.IsAllowed)
            {
                ledger = decision.Payload!.Ledger;
                allowedAt.Add(now);
            }
            else
            {
                denied = decision;
            }
        }

        allowedAt.Count.ShouldBeGreaterThan(1);
        ledger.Releases.Length.ShouldBe(allowedAt.Count);
        ShouldBeDeniedBy(denied.ShouldNotBeNull(), PolicyChecks.PrivacyBudget, "privacy budget spent");
        denied.Reason!.ShouldContain("over the last 30d (budget ε = 1.2 at δ = 1E-05");
        denied.Reason!.ShouldContain($"the window frees up enough budget at {allowedAt[0].AddDays(30):yyyy-MM-dd'T'HH:mm:ss'Z'}");
    }

    [Fact]
    public void Window_slides_so_releases_older_than_the_window_no_longer_count()
    {
        var policy = PolicyText.Parse(("    epsilon: 8.0", "    epsilon: 1.0"));
        var spent = PrivacyLedger.Empty.Record(new PrivacyRelease(Now.AddDays(-29), 1.1, 0.01, 100));

        var inside = Evaluate(policy: policy, ledger: spent, now: Now);
        var outside = Evaluate(policy: policy, ledger: spent, now: Now.AddDays(1));

        ShouldBeDeniedBy(inside, PolicyChecks.PrivacyBudget, $"frees up enough budget at {Now.AddDays(1):yyyy-MM-dd'T'HH:mm:ss'Z'}");
        outside.IsAllowed.ShouldBeTrue();
        outside.Payload!.EpsilonInWindow.ShouldBe(RdpAccountant.ComputeEpsilon(1.1, 0.01, 100, 1e-5), tolerance: 1e-12);
        outside.Payload.Ledger.Releases.Length.ShouldBe(2);
    }

    [Fact]
    public void Release_that_alone_exceeds_the_budget_is_denied_for_good()
    {
        var policy = PolicyText.Parse(("    epsilon: 8.0", "    epsilon: 0.1"));

        ShouldBeDeniedBy(Evaluate(policy: policy), PolicyChecks.PrivacyBudget, "costs more than the whole budget, so waiting will not help");
    }

    [Fact]
    public void Denied_release_spends_nothing()
    {
        var ledger = PrivacyLedger.Empty.Record(new PrivacyRelease(Now.AddDays(-1), 1.1, 0.01, 100));

        var decision = Evaluate(Request(sampleCount: 10), ledger: ledger);

        decision.IsAllowed.ShouldBeFalse();
        ledger.Releases.Length.ShouldBe(1);
    }

    [Fact]
    public void Malformed_inputs_are_programming_errors()
    {
        Should.Throw<ArgumentException>(() => PolicyEvaluator.EvaluateModelUpdate(Policy, "not-a-hash", Request(), PrivacyLedger.Empty, Now));
        Should.Throw<ArgumentException>(() => Evaluate(Request(seed: [1, 2, 3])));
        Should.Throw<ArgumentOutOfRangeException>(() => Evaluate(Request() with { BatchSize = 0 }));
    }

    // ---- Evaluation metrics ---------------------------------------------------------------------------------

    private static PolicyDecision<ReleasedMetrics> EvaluateMetrics(
        IReadOnlyList<MetricReport> metrics, string key = PolicyText.AggregatorKey, DateTimeOffset? now = null) =>
        PolicyEvaluator.EvaluateMetrics(Policy, PolicyText.PolicyHash, metrics, key, now ?? Now);

    [Fact]
    public void Listed_metrics_over_enough_samples_are_allowed_unchanged()
    {
        MetricReport[] metrics = [new("accuracy", 0.91, 500), new("loss", 0.31, 200)];

        var decision = EvaluateMetrics(metrics);

        decision.IsAllowed.ShouldBeTrue();
        decision.Kind.ShouldBe(ReleaseKind.EvaluationMetrics);
        decision.Payload!.Metrics.ShouldBe(metrics);
        decision.Checks.Select(c => c.Name).ShouldBe(
        [
            PolicyChecks.NotExpired, PolicyChecks.KindAllowed, PolicyChecks.AggregatorKeyAllowed,
            PolicyChecks.MetricAllowlist, PolicyChecks.MetricMinimumSamples,
        ]);
    }

    [Fact]
    public void Unlisted_metric_is_denied_by_name()
    {
        var decision = EvaluateMetrics([new("accuracy", 0.91, 500), new("per_sample_scores", 0.5, 500)]);

        ShouldBeDeniedBy(decision, PolicyChecks.MetricAllowlist, "metric 'per_sample_scores' is not listed in the policy's metrics (accuracy, loss)");
    }

    [Fact]
    public void Metric_over_too_few_samples_is_denied_by_name()
    {
        var decision = EvaluateMetrics([new("accuracy", 0.91, 500), new("loss", 0.31, 199)]);

        ShouldBeDeniedBy(decision, PolicyChecks.MetricMinimumSamples, "metric 'loss' was computed over 199 samples; the policy requires at least 200");
    }

    [Fact]
    public void Repeated_metric_is_denied()
    {
        ShouldBeDeniedBy(EvaluateMetrics([new("accuracy", 0.9, 500), new("accuracy", 0.8, 600)]), PolicyChecks.MetricAllowlist, "reported more than once");
    }

    [Fact]
    public void Non_finite_metric_is_denied()
    {
        ShouldBeDeniedBy(EvaluateMetrics([new("loss", double.NaN, 500)]), PolicyChecks.MetricAllowlist, "non-finite value NaN");
    }

    [Fact]
    public void Metrics_to_an_unlisted_key_or_under_an_expired_policy_are_denied()
    {
        ShouldBeDeniedBy(EvaluateMetrics([new("loss", 0.3, 500)], key: PolicyText.OtherKey), PolicyChecks.AggregatorKeyAllowed, "is not listed");
        ShouldBeDeniedBy(EvaluateMetrics([new("loss", 0.3, 500)], now: Policy.Expires.AddSeconds(1)), PolicyChecks.NotExpired, "expired");
    }
}
