using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Learning.Training;
using Federation.Policies;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site.Training;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Gateway.Tests;

/// <summary>What a gateway lets leave, and what it records: the policy decides before anything is signed or sent.</summary>
public sealed class ReleaseTests : IDisposable
{
    private readonly Site site = new();

    public void Dispose() => site.Dispose();

    [Fact]
    public async Task An_allowed_update_is_signed_clipped_recorded_and_published_once_from_the_outbox()
    {
        // Given a site under the template policy
        var node = site.Node();

        // When a round is announced
        await using var run = await Site.StartAsync(node);
        var decision = await run.AnnounceAsync(node, Site.Round(1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution on the bus");

        // Then the decision allowed it after every check, and the bus carries the recorded message
        decision.Allowed.ShouldBeTrue();
        decision.Checks.Select(check => check.Name).ShouldBe([
            LocalTraining.TrainingCheck, PolicyChecks.TaskNamed, PolicyChecks.NotExpired, PolicyChecks.KindAllowed, PolicyChecks.AggregatorKeyAllowed, PolicyChecks.MinimumSamples,
            PolicyChecks.TensorAllowlist, PolicyChecks.FiniteValues, PolicyChecks.ExampleClipping, PolicyChecks.NoiseMultiplier,
            PolicyChecks.PrivacyBudget, PolicyChecks.UpdateClipping]);
        var published = run.Published<ContributionSubmitted>().Single();
        published.Context.MessageId.ShouldBe(decision.MessageId);
        var manifest = Site.Manifest(published.Context.Message);
        manifest.Sequence.ShouldBe(1);
        decision.Sequence.ShouldBe(1);
        manifest.PolicySha256.ShouldBe(node.Policy.Hash);
        decision.PolicySha256.ShouldBe(node.Policy.Hash);
        node.State.PrivacyLedger().Releases.ShouldHaveSingleItem().NoiseMultiplier.ShouldBe(1.0);
        await Site.Eventually(() => node.State.PendingOutbox().Count == 0, "the entry marked sent");
    }

    [Fact]
    public async Task A_policy_that_forbids_a_tensor_stops_the_update_before_signing_and_nothing_reaches_the_bus()
    {
        // Given a policy whose allowlist lacks linear.bias
        var policy = Site.Policy(text => text.Replace("  linear.bias: [3]\n", "", StringComparison.Ordinal));
        policy.Policy.Tensors.Select(tensor => tensor.Name).ShouldBe(["linear.weight"]);
        var node = site.Node(policy);

        // When a round is announced
        await using var run = await Site.StartAsync(node);
        var decision = await run.AnnounceAsync(node, Site.Round(1));

        // Then the refusal names the tensor, and nothing was signed, queued, spent or sent (a gateway sends only
        // what its outbox holds, and a refusal is recorded without an outbox entry, so nothing can reach the bus later)
        decision.Allowed.ShouldBeFalse();
        decision.Checks[^1].Name.ShouldBe(PolicyChecks.TensorAllowlist);
        decision.Checks[^1].Passed.ShouldBeFalse();
        decision.Reason!.ShouldContain("linear.bias");
        decision.Sequence.ShouldBeNull();
        node.State.OutboxHistory().ShouldBeEmpty();
        node.State.LastSequence().ShouldBe(0);
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
        run.Published<ContributionSubmitted>().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_site_with_fewer_samples_than_the_policy_requires_sends_nothing_and_says_so()
    {
        var node = site.Node(Site.Policy(minimumSamples: 1000));

        await using var run = await Site.StartAsync(node);
        var decision = await run.AnnounceAsync(node, Site.Round(1));

        // A refusal has no outbox entry, and only the outbox reaches the bus.
        decision.Allowed.ShouldBeFalse();
        decision.Checks[^1].Name.ShouldBe(PolicyChecks.MinimumSamples);
        decision.Reason.ShouldBe("trained on 150 samples; the policy requires at least 1000");
        node.State.OutboxHistory().ShouldBeEmpty();
        run.Published<ContributionSubmitted>().ShouldBeEmpty();
    }

    [Fact]
    public void An_expired_policy_refuses_the_update_and_the_report()
    {
        // Given a policy that expired an hour ago
        var node = site.Node(Site.Policy(expires: Site.Start.AddHours(-1)));

        // When the gateway is asked to contribute and to evaluate
        var contribution = node.Contribute(Site.Round(1));
        var bytes = Learning.Tensors.SafeTensors.Write(Site.BaseModel);
        var evaluation = node.Evaluate(new ModelPublished(1, Trust.Sha256Hex.Of(bytes), 1, bytes));

        // Then both are refused as expired and recorded as such
        contribution.Allowed.ShouldBeFalse();
        evaluation.Allowed.ShouldBeFalse();
        var decisions = node.State.Decisions(deniedOnly: true);
        decisions.Select(decision => decision.Kind).ShouldBe(["evaluation-metrics", "model-update"]);
        decisions.ShouldAllBe(decision => decision.Checks.Last().Name == PolicyChecks.NotExpired && decision.Checks.All(check => check.Passed || check.Name == PolicyChecks.NotExpired) && decision.Reason!.Contains("expired"));
        node.State.OutboxHistory().ShouldBeEmpty();
    }

    [Fact]
    public void A_spent_budget_is_refused_with_its_reason_and_the_ledger_outlives_a_restart()
    {
        // Given a budget that holds one release of this site's training, not two
        // (ε composes sublinearly, so halfway between the cost of one release and of two.)
        var release = new PrivacyRelease(Site.Start, 1.0, DifferentialPrivacy.SamplingRate(150, 32), 5);
        var once = PrivacyLedger.Empty.Record(release);
        var twice = once.Record(release);
        double epsilon = (once.Spent(Site.Start, TimeSpan.FromDays(30), 1e-5).Epsilon + twice.Spent(Site.Start, TimeSpan.FromDays(30), 1e-5).Epsilon) / 2;
        var policy = Site.Policy(text => text.Replace("epsilon: 8.0", $"epsilon: {epsilon:R}", StringComparison.Ordinal));

        // When the gateway releases one update, restarts, and is asked for another
        site.Node(policy).Contribute(Site.Round(1)).Allowed.ShouldBeTrue();
        site.Clock.Advance(TimeSpan.FromHours(1));
        var restarted = site.Node(policy);
        var refused = restarted.Contribute(Site.Round(2));

        // Then the restarted gateway still knows what it spent, and refuses with the budget as the reason
        refused.Allowed.ShouldBeFalse();
        var decision = restarted.State.Decisions().First();
        decision.Checks[^1].Name.ShouldBe(PolicyChecks.PrivacyBudget);
        decision.Reason!.ShouldStartWith("privacy budget spent");
        decision.Reason.ShouldContain("1 earlier releases in the window");
        restarted.State.PrivacyLedger().Releases.Length.ShouldBe(1);
        restarted.State.PendingOutbox().Count.ShouldBe(1, "only the first update waits to be sent");
    }

    [Fact]
    public void The_sequence_and_the_rounds_acted_on_survive_a_restart_over_the_same_state()
    {
        var first = site.Node();
        Site.Manifest(first.Contribute(Site.Round(1)).Message!).Sequence.ShouldBe(1);
        Site.Manifest(first.Contribute(Site.Round(2)).Message!).Sequence.ShouldBe(2);

        var restarted = site.Node();

        Site.Manifest(restarted.Contribute(Site.Round(3)).Message!).Sequence.ShouldBe(3);
        restarted.Rounds(TaskIds.Default).TryBegin(2).ShouldBeFalse("round 2 was decided before the restart");
        restarted.State.Decisions().Select(decision => decision.Sequence).ShouldBe([3L, 2L, 1L]);
    }

    [Fact]
    public async Task An_entry_written_while_the_bus_fails_is_sent_once_with_its_message_id_when_the_bus_is_back()
    {
        // Given a bus that fails
        var node = site.Node();
        FlakyPublisher? flaky = null;
        await using var run = await Site.StartAsync(node, services => flaky = new FlakyPublisher(new BusOutboxPublisher(services.GetRequiredService<IBus>(), services.GetRequiredService<GatewayPayloadDestinations>())));

        // When a round is released while it fails
        var decision = await run.AnnounceAsync(node, Site.Round(1));
        await Site.Eventually(() => node.State.PendingOutbox().SingleOrDefault()?.Attempts >= 3, "three failed attempts");
        run.Published<ContributionSubmitted>().ShouldBeEmpty();

        // and the bus comes back
        flaky!.Failing = false;
        await Site.Eventually(() => node.State.PendingOutbox().Count == 0, "the entry marked sent");
        await SendAfterwardsAsync(run, node);

        // Then it went out exactly once, under the message id recorded with the decision
        var published = run.Published<ContributionSubmitted>().Where(message => message.Context.MessageId == decision.MessageId).ShouldHaveSingleItem();
        Site.Manifest(published.Context.Message).Round.ShouldBe(1);
        node.State.OutboxHistory().Select(entry => entry.MessageId).ShouldContain(decision.MessageId!.Value);
    }

    [Fact]
    public async Task A_restart_sends_what_was_pending_under_the_same_message_id()
    {
        // Given a gateway that released an update and stopped before sending it
        var before = site.Node();
        var pending = before.Contribute(Site.Round(1));
        before.State.PendingOutbox().ShouldHaveSingleItem();

        // When it starts again over the same state
        var after = site.Node();
        await using var run = await Site.StartAsync(after);
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the pending contribution on the bus");
        await Site.Eventually(() => after.State.PendingOutbox().Count == 0, "the entry marked sent");
        await SendAfterwardsAsync(run, after);

        // Then the very message it signed went out, once
        var published = run.Published<ContributionSubmitted>().Where(message => message.Context.MessageId == pending.MessageId).ShouldHaveSingleItem();
        published.Context.MessageId.ShouldBe(pending.MessageId);
        published.Context.Message.Manifest.ShouldBe(pending.Message!.Manifest);
    }

    [Fact]
    public void Per_class_slices_below_the_metric_minimum_are_dropped_and_named_in_the_decision()
    {
        var metrics = new List<MetricValue>
        {
            new("accuracy", null, 0.8, 90),
            new("loss", null, 0.5, 90),
            new("accuracy", "class=0", 0.9, 60),
            new("accuracy", "class=1", 0.7, 20),
        };

        var (decision, released, dropped) = MetricsRelease.Decide(Site.Policy(), metrics, Site.AggregatorKeyId, Site.Start, "model v1");

        decision.Allowed.ShouldBeTrue();
        released!.Select(metric => metric.Slice).ShouldBe([null, null, "class=0"]);
        var slices = decision.Checks[^1];
        slices.Name.ShouldBe(MetricsRelease.SliceCheck);
        slices.Detail.ShouldContain("class=1");
        slices.Detail.ShouldNotContain("class=0 (");
        dropped.ShouldBe(["class=1"]);
    }

    [Fact]
    public void A_report_that_drops_a_slice_is_a_v3_naming_the_slice_without_its_value()
    {
        // Given the per-class slices of this site's held-out data, and a metric minimum above the smallest of them
        // (below the whole held-out set, so the overall metrics still pass)
        var bytes = Learning.Tensors.SafeTensors.Write(Site.BaseModel);
        var everything = Report(site.Node(Site.Policy(text => text.Replace("minimumSamples: 50", "minimumSamples: 1", StringComparison.Ordinal))).Evaluate(new ModelPublished(1, Trust.Sha256Hex.Of(bytes), 1, bytes)));
        var slices = everything.Metrics.Where(metric => metric is { Name: "accuracy", Slice: not null }).OrderBy(metric => metric.SampleCount).ToList();
        long minimum = slices[0].SampleCount + 1;
        var policy = Site.Policy(text => text.Replace("minimumSamples: 50", $"minimumSamples: {minimum}", StringComparison.Ordinal));

        // When the gateway evaluates the next version under it
        var report = Report(site.Node(policy).Evaluate(new ModelPublished(2, Trust.Sha256Hex.Of(bytes), 2, bytes)));

        // Then the report is a v3 of task default that names the dropped slices and gives values only for the rest
        var dropped = slices.Where(metric => metric.SampleCount < minimum).Select(metric => metric.Slice!).ToList();
        report.Type.ShouldBe(DocumentTypes.EvaluationReportV3);
        report.Task.ShouldBe("default");
        report.DroppedSlices.ShouldBe(dropped);
        report.Metrics.ShouldNotContain(metric => dropped.Contains(metric.Slice!));
        everything.Type.ShouldBe(DocumentTypes.EvaluationReport); // nothing dropped: the v1 bytes of before
    }

    private static EvaluationReport Report(ReleaseResult<EvaluationReported> result)
    {
        result.Allowed.ShouldBeTrue(result.Reason);
        return System.Text.Json.JsonSerializer.Deserialize<EvaluationReport>(result.Message!.Report, FederationJson.Options)!;
    }

    [Fact]
    public void A_report_on_too_few_held_out_samples_is_refused()
    {
        var metrics = new List<MetricValue> { new("accuracy", null, 0.8, 20), new("loss", null, 0.5, 20) };

        var (decision, released, _) = MetricsRelease.Decide(Site.Policy(), metrics, Site.AggregatorKeyId, Site.Start, "model v1");

        released.ShouldBeNull();
        decision.Allowed.ShouldBeFalse();
        decision.Checks[^1].Name.ShouldBe(PolicyChecks.MetricMinimumSamples);
    }

    [Fact]
    public void The_in_memory_trainer_releases_exactly_what_dp_sgd_with_the_gateways_seeds_computes()
    {
        // The default path must stay byte-identical through the trainer interface: the same seeds give the same bytes.
        var node = site.Node();
        var round = Site.Round(1);
        var data = ((DatasetTrainer)node.Trainer).Data.Training;
        var options = new Learning.Training.TrainingOptions(1, 32, 0.1f, StableSeed.For(7, 1, Site.GatewayId))
        {
            DifferentialPrivacy = new Learning.Training.DifferentialPrivacy(1.0, 1.0, node.NoiseSeed(1, round.BaseModelSha256, 1)),
        };
        var update = Learning.Training.SgdTrainer.Train(Site.Spec, Site.BaseModel, data, options).Subtract(Site.BaseModel);
        var expected = Learning.Privacy.L2Clipping.Clip(update, 10.0).Clipped;

        var result = node.Contribute(round);

        result.Message!.Payload.ShouldBe(Learning.Tensors.SafeTensors.Write(expected));
    }

    [Fact]
    public void An_aggregator_key_the_policy_does_not_list_gets_nothing()
    {
        var node = new GatewayNode(
            Site.GatewayId, site.Key, Site.Policy(), site.Node().Trainer, site.Clock, new string('b', 64), GatewayState.Open(site.StateDirectory));

        var result = node.Contribute(Site.Round(1));

        result.Allowed.ShouldBeFalse();
        node.State.Decisions().Single().Checks[^1].Name.ShouldBe(PolicyChecks.AggregatorKeyAllowed);
    }

    /// <summary>
    /// Releases one more update and waits until it is on the bus. The outbox sends oldest first and marks each entry
    /// sent before the next, so once the later entry is out, a repeat of an earlier one would already be on the bus:
    /// what the test then counts is final, without waiting for time to pass.
    /// </summary>
    private static async Task SendAfterwardsAsync(Harnessed run, GatewayNode node)
    {
        var later = node.Contribute(Site.Round(99));
        later.Allowed.ShouldBeTrue();
        await Site.Eventually(
            () => run.Published<ContributionSubmitted>().Any(message => message.Context.MessageId == later.MessageId),
            "the later update on the bus");
    }
}
