using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Policies.Tests;

public class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] AllModelUpdateChecks =
    [
        PolicyChecks.TaskNamed, PolicyChecks.NotExpired, PolicyChecks.KindAllowed, PolicyChecks.AggregatorKeyAllowed, PolicyChecks.MinimumSamples,
        PolicyChecks.TensorAllowlist, PolicyChecks.FiniteValues, PolicyChecks.ExampleClipping, PolicyChecks.NoiseMultiplier,
        PolicyChecks.PrivacyBudget, PolicyChecks.UpdateClipping,
    ];

    private static readonly Policy Policy = PolicyText.Parse(PolicyText.Valid);

    /// <summary>An update in the policy's layout with norm well above the update clipping bound of 1.</summary>
    private static TensorSet Update(float fill = 0.05f, string weightName = "linear.weight", int inputs = 784) => new(
    [
        new Tensor(weightName, [10, inputs], [.. Enumerable.Range(0, 10 * inputs).Select(i => i % 2 == 0 ? fill : -fill)]),
        new Tensor("linear.bias", [10], [.. Enumerable.Repeat(fill, 10)]),
    ]);

    /// <summary>DP-SGD with B = 50 of N = 5000 (q = 0.01) for 100 steps, C = 2 and z = 1.1: exactly what the policy demands.</summary>
    private static ModelUpdateRequest Request(
        TensorSet? update = null, long sampleCount = 5000, string key = PolicyText.AggregatorKey, double exampleNorm = 2.0, double noiseMultiplier = 1.1) =>
        new(update ?? Update(), sampleCount, BatchSize: 50, LocalSteps: 100, exampleNorm, noiseMultiplier, key);

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
    public void Allowed_update_is_charged_for_its_dp_sgd_training_clipped_and_attributed_to_the_policy()
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
        released.Release.ShouldBe(new PrivacyRelease(Now, 1.1, 50.0 / 5000, 100));
        released.Ledger.Releases.ShouldBe([released.Release]);
        released.EpsilonInWindow.ShouldBe(RdpAccountant.ComputeEpsilon(1.1, 0.01, 100, 1e-5), tolerance: 1e-12);
    }

    [Fact]
    public void The_decision_record_states_what_was_checked_and_charged()
    {
        var checks = Evaluate().Checks.ToDictionary(c => c.Name, c => c.Detail);

        checks[PolicyChecks.ExampleClipping].ShouldStartWith("one record changes each noisy sum by at most L2 norm 2 (at most 2)");
        checks[PolicyChecks.NoiseMultiplier].ShouldBe("each of the 100 noisy steps got Gaussian noise with σ = 2.2 per value on a sum whose sensitivity to one record is 2 (noise multiplier 1.1, at least 1.1)");
        checks[PolicyChecks.PrivacyBudget].ShouldStartWith("ε = ");
        checks[PolicyChecks.PrivacyBudget].ShouldEndWith(" of 8 at δ = 1E-05 over the last 30d, this release (100 steps at sampling rate 0.01) and 0 earlier ones of task 'default' included");
        checks[PolicyChecks.UpdateClipping].ShouldStartWith("update L2 norm 4.43");
        checks[PolicyChecks.UpdateClipping].ShouldEndWith(" scaled down to 1");
    }

    [Fact]
    public void Update_is_only_clipped_no_noise_is_added()
    {
        var update = Update(fill: 3f);

        var released = Evaluate(Request(update)).Payload.ShouldNotBeNull();

        released.Update.L2Norm().ShouldBeLessThanOrEqualTo(1.0);
        released.Update.L2Norm().ShouldBe(1.0, tolerance: 1e-6);
        var expected = L2Clipping.Clip(update, 1.0).Clipped;
        released.Update["linear.bias"].Values.ShouldBe(expected["linear.bias"].Values);
        released.Update["linear.weight"].Values.ShouldBe(expected["linear.weight"].Values);
    }

    [Fact]
    public void Update_within_the_bound_leaves_unchanged()
    {
        var update = Update(fill: 0.001f);

        var released = Evaluate(Request(update)).Payload.ShouldNotBeNull();

        released.WasClipped.ShouldBeFalse();
        released.Update["linear.weight"].Values.ShouldBe(update["linear.weight"].Values);
        Evaluate(Request(update)).Checks[^1].Detail.ShouldEndWith("within 1");
    }

    [Theory]
    [InlineData(2.5)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    public void Per_example_clipping_looser_than_the_policy_or_absent_is_denied(double exampleNorm)
    {
        ShouldBeDeniedBy(
            Evaluate(Request(exampleNorm: exampleNorm)),
            PolicyChecks.ExampleClipping,
            $"trained with per-example clipping norm {exampleNorm.ToString(System.Globalization.CultureInfo.InvariantCulture)}; the policy requires a positive norm of at most 2");
    }

    [Fact]
    public void Tighter_per_example_clipping_is_allowed()
    {
        Evaluate(Request(exampleNorm: 0.1)).IsAllowed.ShouldBeTrue();
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Noise_multiplier_below_the_policy_or_not_a_number_is_denied(double noiseMultiplier)
    {
        ShouldBeDeniedBy(
            Evaluate(Request(noiseMultiplier: noiseMultiplier)),
            PolicyChecks.NoiseMultiplier,
            $"trained with noise multiplier {noiseMultiplier.ToString(System.Globalization.CultureInfo.InvariantCulture)}; the policy requires at least 1.1");
    }

    [Fact]
    public void More_noise_than_required_is_allowed_and_charged_at_the_noise_actually_used()
    {
        var released = Evaluate(Request(noiseMultiplier: 2.0)).Payload.ShouldNotBeNull();

        released.Release.NoiseMultiplier.ShouldBe(2.0);
        released.EpsilonInWindow.ShouldBe(RdpAccountant.ComputeEpsilon(2.0, 0.01, 100, 1e-5), tolerance: 1e-12);
        released.EpsilonInWindow.ShouldBeLessThan(RdpAccountant.ComputeEpsilon(1.1, 0.01, 100, 1e-5));
    }

    [Fact]
    public void Sampling_rate_is_batch_size_over_samples_capped_at_one()
    {
        var fullBatch = Evaluate(Request(sampleCount: 1000) with { BatchSize = 4000, LocalSteps = 1 }).Payload.ShouldNotBeNull();

        fullBatch.Release.SamplingRate.ShouldBe(1.0);
        fullBatch.EpsilonInWindow.ShouldBe(RdpAccountant.ComputeEpsilon(1.1, 1.0, 1, 1e-5), tolerance: 1e-12);
    }

    [Fact]
    public void Expired_policy_lets_nothing_leave()
    {
        var decision = Evaluate(now: Policy.Expires);

        ShouldBeDeniedBy(decision, PolicyChecks.NotExpired, "expired at 2027-01-01T00:00:00Z; nothing may leave");
        decision.Checks.Select(c => c.Name).ShouldBe([PolicyChecks.TaskNamed, PolicyChecks.NotExpired]);
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
        Should.Throw<ArgumentOutOfRangeException>(() => Evaluate(Request() with { BatchSize = 0 }));
        Should.Throw<ArgumentOutOfRangeException>(() => Evaluate(Request() with { LocalSteps = 0 }));
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
            PolicyChecks.TaskNamed, PolicyChecks.NotExpired, PolicyChecks.KindAllowed, PolicyChecks.AggregatorKeyAllowed,
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
