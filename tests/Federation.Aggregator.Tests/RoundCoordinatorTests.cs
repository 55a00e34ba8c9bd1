using Federation.Coordination.Tasks;
using Federation.Contracts.Tasks;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.Learning.Strategies;
using Federation.Learning.Tensors;
using MassTransit.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Federation.Aggregator.Tests;

/// <summary>The coordinator over a real SQLite history and payload store, with the clock in the test's hand.</summary>
public sealed partial class RoundCoordinatorTests : IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-coordinator-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider clock = new(TestGateway.SignedAt);
    private readonly TestGateway first = new("factory-1");
    private readonly TestGateway second = new("factory-2");
    private ServiceProvider services = null!;
    private ITestHarness harness = null!;

    private RoundCoordinator Coordinator => services.GetRequiredService<RoundCoordinator>();

    public async Task InitializeAsync()
    {
        services = BuildServices();
        harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
        await Coordinator.InitializeAsync(CancellationToken.None);
        // The scheduler records the configured job as task default at start; wait for it, so counts of events are stable.
        await services.GetRequiredService<TaskRegistry>().CatalogAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await harness.Stop();
        await services.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    private ServiceProvider BuildServices()
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(clock);
        collection.AddMassTransitTestHarness();
        collection.AddAggregator(new AggregatorOptions
        {
            DataDirectory = dataDirectory,
            Model = new ModelOptions { Inputs = 4, Classes = 3 },
            Rounds = new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) },
            Payloads = new PayloadOptions { WaitSeconds = 1 },
            Gateways =
            [
                new GatewayEnrolment { Id = first.Id, PublicKey = Convert.ToBase64String(first.Key.PublicKey.Span), AllowedPolicies = [TestGateway.PolicySha256] },
                new GatewayEnrolment { Id = second.Id, PublicKey = Convert.ToBase64String(second.Key.PublicKey.Span), AllowedPolicies = [TestGateway.PolicySha256] },
            ],
        });
        return collection.BuildServiceProvider();
    }

    private async Task<List<IFederationEvent>> HistoryAsync() =>
        await services.GetRequiredService<EventHistory>().ReadAllAsync().Select(entry => entry.Event).ToListAsync();

    [Fact]
    public async Task A_new_history_starts_with_the_initial_model_as_version_0()
    {
        var published = (await HistoryAsync()).OfType<ModelVersionPublished>().Single();

        published.Version.ShouldBe(0);
        published.Contributions.ShouldBeEmpty();
        published.ModelSha256.ShouldBe(TestGateway.BaseModelSha256);
    }

    [Fact]
    public async Task Bad_inputs_are_each_recorded_with_their_reason_and_the_round_still_completes()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        var stranger = new TestGateway("factory-9");
        var wrongShape = new TensorSet([Tensor.Zeros("linear.bias", 3), Tensor.Zeros("linear.weight", 3, 5)]);
        var notFinite = TestGateway.Update();
        notFinite[1].Values[0] = float.NaN;

        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update())[..30]), CancellationToken.None);
        await Coordinator.SubmitAsync(stranger.Contribute(TestGateway.Update()), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(wrongShape), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(notFinite), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update(), round: 7), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update(0.5f), samples: 100), CancellationToken.None);
        await Coordinator.SubmitAsync(second.Contribute(TestGateway.Update(0.25f), samples: 300), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionRejected>().Select(rejected => rejected.Reason).ShouldBe(
        [
            RejectionReason.MalformedPayload, RejectionReason.UnknownGateway, RejectionReason.ShapeMismatch,
            RejectionReason.NonFiniteValues, RejectionReason.UnknownRound,
        ]);
        history.OfType<ContributionRejected>().ShouldAllBe(rejected => rejected.Detail.Length > 20);
        history.OfType<RoundClosed>().Single().Outcome.ShouldBe(RoundOutcome.QuorumReached);
        history.OfType<ModelVersionPublished>().Last().Contributions.Select(used => used.GatewayId).ShouldBe(["factory-1", "factory-2"]);
    }

    [Fact]
    public async Task The_published_model_is_the_sample_weighted_average_of_the_accepted_updates()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update(0.5f), samples: 100), CancellationToken.None);
        await Coordinator.SubmitAsync(second.Contribute(TestGateway.Update(0.25f), samples: 300), CancellationToken.None);

        var published = (await HistoryAsync()).OfType<ModelVersionPublished>().Last();
        var model = SafeTensors.Read(await services.GetRequiredService<PayloadStore>().GetAsync(published.ModelSha256));
        // Base is zeros: (100 × 0.5 + 300 × 0.25) / 400 = 0.3125 everywhere.
        model.SelectMany(tensor => tensor.Values).ShouldAllBe(value => Math.Abs(value - 0.3125f) < 1e-6f);
        (await harness.Published.Any<ModelPublishedV2>(message => message.Context.Message.Version == 1)).ShouldBeTrue();
    }

    [Fact]
    public async Task Updates_are_combined_in_gateway_id_order_whatever_order_they_arrived_in()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        await Coordinator.SubmitAsync(second.Contribute(TestGateway.Update(0.25f), samples: 300), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update(0.5f), samples: 100), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionAccepted>().Select(accepted => accepted.GatewayId).ShouldBe(["factory-2", "factory-1"]);
        history.OfType<ModelVersionPublished>().Last().Contributions.Select(used => used.GatewayId).ShouldBe(["factory-1", "factory-2"]);
    }

    [Fact]
    public async Task At_the_deadline_the_round_closes_with_who_came_and_a_late_contribution_is_rejected()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);

        clock.Advance(TimeSpan.FromMinutes(6));
        await Coordinator.CheckDeadlineAsync(CancellationToken.None);
        await Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<RoundClosed>().Single().Outcome.ShouldBe(RoundOutcome.DeadlinePassed);
        history.OfType<ModelVersionPublished>().Last().Contributions.Single().GatewayId.ShouldBe("factory-1");
        history.OfType<ContributionRejected>().Single().Reason.ShouldBe(RejectionReason.Late);
    }

    [Fact]
    public async Task A_round_whose_updates_cannot_be_combined_closes_as_failed_with_the_reason_and_no_model()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);

        // Finite updates whose weighted sum overflows float32: the strategy refuses the result.
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update(3e38f), samples: 100), CancellationToken.None);
        await Coordinator.SubmitAsync(second.Contribute(TestGateway.Update(3e38f), samples: 300), CancellationToken.None);

        var history = await HistoryAsync();
        var closed = history.OfType<RoundClosed>().Single();
        closed.Outcome.ShouldBe(RoundOutcome.AggregationFailed);
        closed.Detail.ShouldNotBeNullOrWhiteSpace();
        history.OfType<ModelVersionPublished>().Count().ShouldBe(1);
        Coordinator.CurrentModel.Version.ShouldBe(0);
    }

    [Fact]
    public async Task A_redelivered_message_is_recorded_once()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        var contribution = first.Contribute(TestGateway.Update());
        var messageId = Guid.NewGuid();

        await Coordinator.SubmitAsync(contribution, messageId, CancellationToken.None);
        await Coordinator.SubmitAsync(contribution, messageId, CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionAccepted>().Count().ShouldBe(1);
        history.OfType<ContributionRejected>().ShouldBeEmpty();
    }

    [Fact]
    public async Task The_same_manifest_in_a_new_message_is_rejected_as_a_replay()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        var contribution = first.Contribute(TestGateway.Update());

        await Coordinator.SubmitAsync(contribution, Guid.NewGuid(), CancellationToken.None);
        await Coordinator.SubmitAsync(contribution, Guid.NewGuid(), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionAccepted>().Count().ShouldBe(1);
        var replay = history.OfType<ContributionRejected>().ShouldHaveSingleItem();
        replay.Reason.ShouldBe(RejectionReason.Replay);
        replay.Detail.ShouldContain("not above 1");
    }

    [Fact]
    public async Task An_older_sequence_number_is_rejected_as_a_replay_even_in_a_later_round()
    {
        var plan = services.GetRequiredService<AggregatorOptions>().Rounds;
        await Coordinator.OpenRoundAsync(plan, [first.Id], CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), sequence: 5), CancellationToken.None);
        var version1 = Coordinator.CurrentModel.Sha256;
        await Coordinator.OpenRoundAsync(plan, [first.Id], CancellationToken.None);

        // Signed correctly, for the open round, but numbered below what factory-1 already used.
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), round: 2, baseModelSha256: version1, sequence: 4), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), round: 2, baseModelSha256: version1, sequence: 6), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionRejected>().ShouldHaveSingleItem().Reason.ShouldBe(RejectionReason.Replay);
        history.OfType<ContributionAccepted>().Select(accepted => accepted.Sequence).ShouldBe([5L, 6L]);
    }

    [Fact]
    public async Task Evaluation_reports_are_bounded_and_count_once_per_gateway_and_version()
    {
        var recorder = services.GetRequiredService<Federation.Coordination.Evaluations.EvaluationRecorder>();
        var sha = Coordinator.CurrentModel.Sha256;

        await recorder.RecordAsync(first.Report(0, sha, new MetricValue("accuracy", null, 0.8, 100)), CancellationToken.None);
        await recorder.RecordAsync(first.Report(0, sha, new MetricValue("accuracy", null, 0.9, 100)), CancellationToken.None);
        await recorder.RecordAsync(second.Report(0, sha, new MetricValue("accuracy", null, 1e308, 2)), CancellationToken.None);
        await recorder.RecordAsync(second.Report(0, sha, new MetricValue("loss", null, 0.5, 10), new MetricValue("loss", null, 0.4, 10)), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<EvaluationRecorded>().Single().GatewayId.ShouldBe("factory-1");
        history.OfType<EvaluationRejected>().Select(rejected => rejected.Reason)
            .ShouldBe([RejectionReason.DuplicateContribution, RejectionReason.InvalidMetrics, RejectionReason.InvalidMetrics]);
    }

    [Fact]
    public async Task A_stateful_strategy_saves_its_state_with_each_version_and_continues_from_it()
    {
        var plan = new RoundPlan { Strategy = "fedadam", MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) };
        foreach (var round in new[] { 1, 2 })
        {
            await Coordinator.OpenRoundAsync(plan, null, CancellationToken.None);
            var baseModel = Coordinator.CurrentModel.Sha256;
            await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update(0.5f)), round, 100, baseModelSha256: baseModel), CancellationToken.None);
            await Coordinator.SubmitAsync(second.Contribute(SafeTensors.Write(TestGateway.Update(0.25f)), round, 300, baseModelSha256: baseModel), CancellationToken.None);
        }

        var versions = (await HistoryAsync()).OfType<ModelVersionPublished>().Skip(1).ToList();
        versions.Select(version => version.Strategy).ShouldBe(["fedadam", "fedadam"]);
        versions.Select(version => version.StrategyParameters["eta"]).ShouldBe([0.1, 0.1]);
        var states = versions.Select(version => StrategyState.FromSafeTensors(services.GetRequiredService<PayloadStore>().Get(version.StrategyStateSha256!))).ToList();
        states.Select(state => state.Round).ShouldBe([1L, 2L]);
    }

    [Fact]
    public async Task A_restarted_coordinator_rebuilds_its_state_from_the_history()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, null, CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);

        await using var restarted = BuildServices();
        var coordinator = restarted.GetRequiredService<RoundCoordinator>();
        await coordinator.InitializeAsync(CancellationToken.None);

        coordinator.LatestRound!.Round.ShouldBe(1);
        coordinator.LatestRound.IsOpen.ShouldBeTrue();
        coordinator.LatestRound.Accepted.Single().GatewayId.ShouldBe("factory-1");
        coordinator.CurrentModel.Version.ShouldBe(0);
    }

    [Fact]
    public async Task When_another_writer_appended_to_the_round_first_the_contribution_is_decided_again_on_the_history()
    {
        await Coordinator.OpenRoundAsync(services.GetRequiredService<AggregatorOptions>().Rounds, [first.Id], CancellationToken.None);
        // Another aggregator instance records a rejection in round 1: this coordinator's cached version is now stale.
        var stray = new ContributionRejected(1, second.Id, second.Key.KeyId, "sha", RejectionReason.NotInvited, "not invited", "{}", "sig", clock.GetUtcNow());
        await services.GetRequiredService<EventHistory>().AppendAsync(EventStreams.Round(TaskIds.Default, 1), 1, stray);

        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionAccepted>().ShouldHaveSingleItem().GatewayId.ShouldBe(first.Id);
        history.OfType<RoundClosed>().ShouldHaveSingleItem().RejectedCount.ShouldBe(1);
        history.OfType<ModelVersionPublished>().Last().Version.ShouldBe(1);
    }
}
