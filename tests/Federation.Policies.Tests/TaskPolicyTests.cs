using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;

namespace Federation.Policies.Tests;

/// <summary>Policies per task: the top-level rules are task default's, <c>tasks</c> names the others, each with its own budget.</summary>
public class TaskPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The example's hash as README.md records it: a file without tasks must hash (and mean) what it did.</summary>
    private const string ExampleHash = "df2097c738715d4a64e3f55eebe31ec8d7d6c5d4c911d837226fc1cb835431b4";

    /// <summary>The valid policy plus two tasks: press-fit with a small model of its own, weld-photos with default's rules and a budget of its own.</summary>
    private static readonly string WithTasks = PolicyText.Valid + """

        tasks:
          press-fit:
            allow: [model-update]
            minimumSamples: 10
            tensors:
              linear.weight: [2, 4]
              linear.bias: [2]
            clipping:
              maxUpdateL2Norm: 1.0
            privacy:
              maxExampleL2Norm: 2.0
              minNoiseMultiplier: 1.1
              budget:
                epsilon: 2.0
                delta: 1.0e-6
                window: 7d
          weld-photos:
            allow: [model-update, evaluation-metrics]
            minimumSamples: 1000
            tensors:
              linear.weight: [10, 784]
              linear.bias: [10]
            clipping:
              maxUpdateL2Norm: 1.0
            privacy:
              maxExampleL2Norm: 2.0
              minNoiseMultiplier: 1.1
              budget:
                epsilon: 1.2
                delta: 1.0e-5
                window: 30d
            metrics:
              accuracy:
                minimumSamples: 50
        """;

    private static TensorSet Update(int outputs = 10, int inputs = 784) => new(
    [
        new Tensor("linear.weight", [outputs, inputs], [.. Enumerable.Repeat(0.01f, outputs * inputs)]),
        new Tensor("linear.bias", [outputs], [.. Enumerable.Repeat(0.01f, outputs)]),
    ]);

    private static ModelUpdateRequest Request(string task, TensorSet? update = null, long samples = 5000) =>
        new(update ?? Update(), samples, BatchSize: 50, LocalSteps: 100, ExampleClippingNorm: 2.0, NoiseMultiplier: 1.1, PolicyText.AggregatorKey, task);

    private static PolicyDecision<ReleasedModelUpdate> Evaluate(Policy policy, ModelUpdateRequest request, PrivacyLedger ledger, DateTimeOffset now) =>
        PolicyEvaluator.EvaluateModelUpdate(policy, PolicyText.PolicyHash, request, ledger, now);

    private static PolicyException Fails(string yaml) => Should.Throw<PolicyException>(() => PolicyText.Parse(yaml));

    [Fact]
    public void A_policy_without_tasks_takes_part_only_in_task_default_under_its_top_level_rules()
    {
        var policy = PolicyText.Parse(PolicyText.Valid);

        policy.Tasks.Keys.ShouldBe([TaskIds.Default]);
        policy.RulesFor(TaskIds.Default).ShouldBeSameAs(policy.DefaultRules);
        policy.RulesFor("press-fit").ShouldBeNull();
        policy.DefaultRules.Tensors.ShouldBe(policy.Tensors);
        policy.DefaultRules.Privacy.ShouldBe(policy.Privacy);
    }

    [Fact]
    public void An_existing_policy_file_hashes_exactly_as_before()
    {
        var loaded = PolicyLoader.Load(PolicyText.ExamplePath);

        loaded.Hash.ShouldBe(ExampleHash);
        loaded.Policy.Tasks.Keys.ShouldBe([TaskIds.Default]);
    }

    [Fact]
    public void Each_named_task_has_its_own_rules_and_default_keeps_the_top_level_ones()
    {
        var policy = PolicyText.Parse(WithTasks);

        policy.Tasks.Keys.ShouldBe([TaskIds.Default, "press-fit", "weld-photos"]);
        var pressFit = policy.RulesFor("press-fit").ShouldNotBeNull();
        pressFit.AllowedKinds.ShouldBe([ReleaseKind.ModelUpdate]);
        pressFit.Tensors.Select(t => t.Name).ShouldBe(["linear.bias", "linear.weight"]);
        pressFit.Privacy!.Budget.ShouldBe(new PrivacyBudget(2.0, 1e-6, TimeSpan.FromDays(7)));
        pressFit.Metrics.ShouldBeEmpty();
        policy.DefaultRules.Privacy!.Budget.Epsilon.ShouldBe(8.0);
        policy.RulesFor("weld-photos")!.Metrics.ShouldHaveSingleItem().MinimumSamples.ShouldBe(50);
    }

    [Fact]
    public void A_task_id_that_is_not_a_safe_name_is_refused_with_the_file_and_field()
    {
        var error = Fails(PolicyText.Valid + "\ntasks:\n  Weld Photos:\n    allow: []\n");

        error.SourceName.ShouldBe(PolicyText.Source);
        error.FieldPath.ShouldBe("tasks.Weld Photos");
        error.Message.ShouldStartWith($"{PolicyText.Source}:");
        error.Message.ShouldContain("tasks.Weld Photos");
        error.Message.ShouldContain("not a safe name");
    }

    [Fact]
    public void Task_default_cannot_be_named_under_tasks_because_the_top_level_rules_are_its_rules()
    {
        var error = Fails(PolicyText.Valid + "\ntasks:\n  default:\n    allow: []\n");

        error.FieldPath.ShouldBe("tasks.default");
        error.Problem.ShouldContain("top-level rules");
    }

    [Fact]
    public void A_task_must_say_what_it_allows_and_carry_the_rules_that_requires()
    {
        Fails(PolicyText.Valid + "\ntasks:\n  press-fit:\n    minimumSamples: 10\n").FieldPath.ShouldBe("tasks.press-fit.allow");

        var error = Fails(PolicyText.Valid + "\ntasks:\n  press-fit:\n    allow: [evaluation-metrics]\n");
        error.FieldPath.ShouldBe("tasks.press-fit.metrics");
        error.Problem.ShouldBe("is required when tasks.press-fit.allow lists evaluation-metrics");

        Fails(PolicyText.Valid + "\ntasks:\n  press-fit:\n    allow: []\n    expires: 2027-01-01T00:00:00Z\n").FieldPath.ShouldBe("tasks.press-fit.expires");
        Fails(PolicyText.Valid + "\ntasks: {}\n").FieldPath.ShouldBe("tasks");
    }

    [Fact]
    public void A_model_update_for_a_task_the_policy_does_not_name_is_refused_before_any_other_check()
    {
        var decision = Evaluate(PolicyText.Parse(PolicyText.Valid), Request("press-fit"), PrivacyLedger.Empty, Now);

        decision.IsAllowed.ShouldBeFalse();
        decision.Payload.ShouldBeNull();
        decision.Checks.ShouldHaveSingleItem().Name.ShouldBe(PolicyChecks.TaskNamed);
        decision.Reason.ShouldNotBeNull().ShouldStartWith("policy factory-1 v3 does not take part in task 'press-fit'");
    }

    [Fact]
    public void Metrics_for_a_task_the_policy_does_not_name_are_refused_and_a_named_task_uses_its_own_metric_rules()
    {
        var policy = PolicyText.Parse(WithTasks);
        MetricReport[] metrics = [new("accuracy", 0.9, 100)];

        var unnamed = PolicyEvaluator.EvaluateMetrics(policy, PolicyText.PolicyHash, metrics, PolicyText.AggregatorKey, Now, "paint-shop");
        var weld = PolicyEvaluator.EvaluateMetrics(policy, PolicyText.PolicyHash, metrics, PolicyText.AggregatorKey, Now, "weld-photos");
        var byDefault = PolicyEvaluator.EvaluateMetrics(policy, PolicyText.PolicyHash, metrics, PolicyText.AggregatorKey, Now);
        var pressFit = PolicyEvaluator.EvaluateMetrics(policy, PolicyText.PolicyHash, metrics, PolicyText.AggregatorKey, Now, "press-fit");

        unnamed.Reason.ShouldNotBeNull().ShouldContain("does not take part in task 'paint-shop' (it names 'default', 'press-fit', 'weld-photos')");
        weld.IsAllowed.ShouldBeTrue(); // 100 samples reach weld-photos' 50
        byDefault.Checks[^1].Name.ShouldBe(PolicyChecks.MetricMinimumSamples); // but not default's 200
        pressFit.Reason.ShouldNotBeNull().ShouldContain("does not allow evaluation-metrics for task 'press-fit'");
    }

    [Fact]
    public void A_named_task_is_judged_by_its_own_tensor_allowlist()
    {
        var policy = PolicyText.Parse(WithTasks);

        Evaluate(policy, Request("press-fit", Update(2, 4)), PrivacyLedger.Empty, Now).IsAllowed.ShouldBeTrue();
        Evaluate(policy, Request("press-fit"), PrivacyLedger.Empty, Now).Checks[^1].Name.ShouldBe(PolicyChecks.TensorAllowlist);
    }

    [Fact]
    public void A_budget_spent_on_one_task_neither_funds_nor_is_drawn_on_by_another()
    {
        var policy = PolicyText.Parse(WithTasks);
        var ledger = PrivacyLedger.Empty;
        var now = Now;

        // Spend weld-photos' budget (ε = 1.2) until it refuses.
        PolicyDecision<ReleasedModelUpdate> decision;
        int weldReleases = 0;
        while ((decision = Evaluate(policy, Request("weld-photos"), ledger, now)).IsAllowed)
        {
            ledger = decision.Payload!.Ledger;
            weldReleases++;
            now = now.AddHours(1);
        }

        weldReleases.ShouldBeGreaterThan(0);
        decision.Checks[^1].Name.ShouldBe(PolicyChecks.PrivacyBudget);
        decision.Reason.ShouldNotBeNull().ShouldContain("privacy budget spent for task 'weld-photos'");

        // Default's budget is untouched by weld-photos' releases, and what default spends does not count for weld-photos.
        var byDefault = Evaluate(policy, Request(TaskIds.Default), ledger, now);
        byDefault.IsAllowed.ShouldBeTrue();
        byDefault.Checks.Single(c => c.Name == PolicyChecks.PrivacyBudget).Detail.ShouldContain("and 0 earlier ones of task 'default' included");
        byDefault.Payload!.Release.Task.ShouldBe(TaskIds.Default);
        ledger.Releases.ShouldAllBe(r => r.Task == "weld-photos");
        ledger.Spent(now, TimeSpan.FromDays(30), 1e-5, TaskIds.Default).Epsilon.ShouldBe(0);
        ledger.Spent(now, TimeSpan.FromDays(30), 1e-5).Epsilon.ShouldBe(ledger.Spent(now, TimeSpan.FromDays(30), 1e-5, "weld-photos").Epsilon);
    }

    [Fact]
    public void The_ledger_json_keeps_each_release_task_and_a_default_release_is_written_as_before()
    {
        var ledger = PrivacyLedger.Empty
            .Record(new PrivacyRelease(Now, 1.1, 0.01, 100))
            .Record(new PrivacyRelease(Now.AddHours(1), 1.1, 0.01, 100, "press-fit"));

        string json = ledger.ToJson();
        var read = PrivacyLedger.FromJson(json);

        json.ShouldContain("\"steps\":100},{");
        json.ShouldContain("\"task\":\"press-fit\"");
        read.Releases.Select(r => r.Task).ShouldBe([TaskIds.Default, "press-fit"]);
    }
}
