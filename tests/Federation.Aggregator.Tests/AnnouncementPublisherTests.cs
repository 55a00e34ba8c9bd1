using Federation.Contracts.Tasks;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Coordination.Announcements;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.EventStore;
using Federation.Learning.Data;
using Federation.Policies;
using Federation.Site.Hosting;
using Federation.Site;
using Federation.Trust;
using Federation.Vault.Datasets;
using MassTransit.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Federation.Aggregator.Tests;

/// <summary>
/// Announcements derived from the history by a checkpointed subscription. Each test runs the aggregator one or
/// more times over the same data folder (a restart), on the test harness's in-memory bus, with the publisher
/// started and stopped by the test and a real gateway ("factory-1") whose consumers listen on every run's bus.
/// </summary>
public sealed class AnnouncementPublisherTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly RoundPlan Plan = new() { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) };
    private static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(new AnnouncementOptions().RepeatSeconds);

    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-announcements-{Guid.NewGuid():N}");
    private readonly string gatewayDirectory = Path.Combine(Path.GetTempPath(), $"federation-announcements-gateway-{Guid.NewGuid():N}");
    private readonly TimerCountingClock clock = new(TestGateway.SignedAt);
    private readonly TestGateway first = new("factory-1");
    private readonly TestGateway second = new("factory-2");
    private readonly GatewayNode site;
    private readonly List<AggregatorRun> runs = [];

    public AnnouncementPublisherTests()
    {
        // The same node, and so the same memory of what it did, on every run: a gateway that outlives an aggregator restart.
        var policy = PolicyLoader.FromBytes(
            System.Text.Encoding.UTF8.GetBytes(PolicyTemplate.ForModel("site-test", TestGateway.BaseModel, new string('0', 64), TestGateway.SignedAt.AddYears(1))), "site-test.yaml");
        // Enough samples for the template policy's minimums (100 to train, 50 per reported metric).
        site = new GatewayNode(
            first.Id, first.Key, policy, new Federation.Site.Training.DatasetTrainer(new LocalData(TinyData(120), TinyData(60))), clock, new string('0', 64), Federation.Site.State.GatewayState.Open(gatewayDirectory));
    }

    private string CheckpointPath => Path.Combine(dataDirectory, AnnouncementCheckpoint.FileName);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var run in runs)
        {
            await run.DisposeAsync();
        }

        foreach (var directory in new[] { dataDirectory, gatewayDirectory }.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_round_opened_while_the_publisher_is_stopped_is_announced_once_it_starts()
    {
        var run = await StartAggregatorAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        var opening = await RoundOpeningAsync(run, 1);
        run.Published<RoundAnnouncedV2>().ShouldBeEmpty("the coordinator only appends");

        await run.StartPublisherAsync();
        var announced = (await run.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single();
        // Later events are followed too; the round is not announced a second time meanwhile.
        await run.Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
        await run.Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);
        await run.WaitForPublishedAsync<ModelPublishedV2>(1);

        announced.Context.MessageId.ShouldBe(opening.EventId);
        announced.Context.Message.Round.ShouldBe(1);
        announced.Context.Message.BaseModelVersion.ShouldBe(0);
        announced.Context.Message.BaseModel.Sha256.ShouldBe(TestGateway.BaseModelSha256);
        announced.Context.Message.Task.ShouldBe(TaskIds.Default);
        announced.Context.Message.Invited.ShouldBe([first.Id, second.Id]);
        run.Published<RoundAnnouncedV2>().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_restart_from_the_saved_checkpoint_announces_nothing_already_announced()
    {
        await using (var before = await StartAggregatorAsync())
        {
            await before.StartPublisherAsync();
            await before.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
            await before.WaitForPublishedAsync<RoundAnnouncedV2>(1);
            await WaitForCheckpointAsync((await RoundOpeningAsync(before, 1)).Position);
        }

        // The round is still open and within its deadline, so only the checkpoint keeps it from being announced again.
        var after = await StartAggregatorAsync();
        await after.StartPublisherAsync();
        await after.Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
        await after.Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);

        (await after.WaitForPublishedAsync<ModelPublishedV2>(1)).Single().Context.Message.Version.ShouldBe(1);
        after.Published<RoundAnnouncedV2>().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_crash_before_the_checkpoint_is_saved_repeats_the_announcement_under_the_same_id_and_the_gateway_ignores_it()
    {
        Guid firstMessageId;
        await using (var before = await StartAggregatorAsync())
        {
            await before.StartPublisherAsync();
            await before.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
            firstMessageId = (await before.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single().Context.MessageId!.Value;
            (await before.WaitForPublishedAsync<ContributionSubmitted>(1)).ShouldHaveSingleItem("the gateway trains once");
            await WaitForCheckpointAsync((await RoundOpeningAsync(before, 1)).Position);
        }

        // What the disk holds when the process dies after the broker's confirm and before the save: no checkpoint.
        File.Delete(CheckpointPath);
        var after = await StartAggregatorAsync();
        await after.StartPublisherAsync();

        var repeated = (await after.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single();
        repeated.Context.MessageId.ShouldBe(firstMessageId);
        await after.WaitForConsumedAsync<RoundAnnouncedV2>(1);
        after.Published<ContributionSubmitted>().ShouldBeEmpty("the gateway already contributed to round 1");
    }

    [Fact]
    public async Task A_repeated_model_announcement_is_evaluated_once()
    {
        await using (var before = await StartAggregatorAsync())
        {
            await before.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
            await before.Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
            await before.Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);
            await before.StartPublisherAsync();
            await before.WaitForPublishedAsync<ModelPublishedV2>(1);
            (await before.WaitForPublishedAsync<EvaluationReported>(1)).ShouldHaveSingleItem();
        }

        File.Delete(CheckpointPath);
        var after = await StartAggregatorAsync();
        await after.StartPublisherAsync();

        (await after.WaitForPublishedAsync<ModelPublishedV2>(1)).Single().Context.Message.Version.ShouldBe(1);
        await after.WaitForConsumedAsync<ModelPublishedV2>(1);
        after.Published<EvaluationReported>().ShouldBeEmpty("the gateway already evaluated version 1");
    }

    [Fact]
    public async Task A_round_that_closed_before_the_publisher_caught_up_is_not_announced_but_its_model_is()
    {
        var run = await StartAggregatorAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        await run.Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
        await run.Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);
        // A marker after the close, so the test knows when the publisher has read past it.
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);

        await run.StartPublisherAsync();

        var announced = (await run.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single();
        announced.Context.Message.Round.ShouldBe(2);
        announced.Context.Message.BaseModelVersion.ShouldBe(1);
        var model = run.Published<ModelPublishedV2>().ShouldHaveSingleItem();
        model.Context.Message.Version.ShouldBe(1);
        model.Context.Message.Round.ShouldBe(1);
        model.Context.MessageId.ShouldBe((await run.History.Store.ReadStreamAsync(EventStreams.Models(TaskIds.Default), 2).FirstAsync()).EventId);
    }

    [Fact]
    public async Task A_round_past_its_deadline_is_not_announced_after_a_long_stop()
    {
        var run = await StartAggregatorAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(1));

        await run.StartPublisherAsync();
        await WaitForCheckpointAsync((await RoundOpeningAsync(run, 1)).Position);

        run.Published<RoundAnnouncedV2>().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_checkpoint_from_another_history_is_not_trusted()
    {
        var run = await StartAggregatorAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        // Left behind by an earlier history whose events.db was deleted: position 2 there was another event.
        await new AnnouncementCheckpoint(CheckpointPath).SaveAsync(new AnnouncedPosition(2, Guid.NewGuid()));

        await run.StartPublisherAsync();

        (await run.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single().Context.Message.Round.ShouldBe(1);
    }

    [Fact]
    public async Task An_open_round_is_announced_again_under_the_same_id_after_the_interval_and_the_gateway_trains_once()
    {
        var run = await StartAggregatorAsync();
        await run.StartPublisherAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        await run.WaitForPublishedAsync<RoundAnnouncedV2>(1);
        (await run.WaitForPublishedAsync<ContributionSubmitted>(1)).ShouldHaveSingleItem("the gateway trains on the first announcement");

        await AdvancePastRepeatAsync(RepeatInterval);

        var announced = run.Rounds.Published;
        announced.Count.ShouldBe(2);
        announced.ShouldAllBe(announcement => announcement.MessageId == announced[0].MessageId && announcement.Round == 1);
        announced[0].MessageId.ShouldBe((await RoundOpeningAsync(run, 1)).EventId);
        await Eventually(() => Task.FromResult(run.Rounds.Consumed >= 2), "the gateway to consume the repeat");
        run.Published<ContributionSubmitted>().Count.ShouldBe(1, "the gateway ignores the repeat of a round it decided on");
    }

    [Fact]
    public async Task An_open_round_announced_before_a_restart_is_repeated_after_it()
    {
        Guid firstMessageId;
        await using (var before = await StartAggregatorAsync())
        {
            await before.StartPublisherAsync();
            await before.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
            firstMessageId = (await before.WaitForPublishedAsync<RoundAnnouncedV2>(1)).Single().Context.MessageId!.Value;
            await WaitForCheckpointAsync((await RoundOpeningAsync(before, 1)).Position);
        }

        var after = await StartAggregatorAsync();
        await after.StartPublisherAsync();
        after.Published<RoundAnnouncedV2>().ShouldBeEmpty("the checkpoint says round 1 was announced");

        await AdvancePastRepeatAsync(RepeatInterval);

        after.Rounds.Published.ShouldHaveSingleItem().MessageId.ShouldBe(firstMessageId);
    }

    [Fact]
    public async Task A_closed_round_is_not_announced_again()
    {
        var run = await StartAggregatorAsync();
        await run.StartPublisherAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        await run.WaitForPublishedAsync<RoundAnnouncedV2>(1);
        await run.Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
        await run.Coordinator.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);
        await run.WaitForPublishedAsync<ModelPublishedV2>(1);

        await AdvancePastRepeatAsync(RepeatInterval);

        run.Rounds.Published.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_round_past_its_deadline_is_not_announced_again()
    {
        var run = await StartAggregatorAsync();
        await run.StartPublisherAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        await run.WaitForPublishedAsync<RoundAnnouncedV2>(1);

        await AdvancePastRepeatAsync(Plan.Duration + TimeSpan.FromSeconds(1));

        run.Rounds.Published.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_repeat_interval_of_zero_announces_each_round_once()
    {
        var run = await StartAggregatorAsync(repeatSeconds: 0);
        await run.StartPublisherAsync();
        await run.Coordinator.OpenRoundAsync(Plan, null, CancellationToken.None);
        await run.WaitForPublishedAsync<RoundAnnouncedV2>(1);
        await WaitForCheckpointAsync((await RoundOpeningAsync(run, 1)).Position);

        clock.PendingTimers.ShouldBe(0, "nothing waits to repeat");
        clock.Advance(RepeatInterval);

        run.Rounds.Published.Count.ShouldBe(1);
    }

    [Fact]
    public void A_negative_repeat_interval_is_refused_with_the_setting_named()
    {
        var options = new AggregatorOptions { Announcements = new AnnouncementOptions { RepeatSeconds = -1 } };

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldContain("Aggregator:Announcements:RepeatSeconds");
    }

    [Fact]
    public void Only_a_round_that_is_open_and_within_its_deadline_is_worth_announcing()
    {
        var opened = RoundDecisions.Open(
            1, new ModelVersion(0, TestGateway.BaseModelSha256, Federation.Learning.Tensors.SafeTensorsLayout.Of(TestGateway.BaseModel)), Plan, [first.Id], TestGateway.SignedAt);

        AnnouncementPublisher.StaleReason(opened, closed: false, opened.Deadline).ShouldBeNull();
        AnnouncementPublisher.StaleReason(opened, closed: true, opened.OpenedAt).ShouldNotBeNull();
        AnnouncementPublisher.StaleReason(opened, closed: false, opened.Deadline.AddTicks(1)).ShouldNotBeNull();
    }

    private async Task<AggregatorRun> StartAggregatorAsync(double repeatSeconds = 60)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(clock);
        collection.AddMassTransitTestHarness(bus => bus.AddGatewayConsumers("sites"));
        collection.AddGateways([site], modelSource: (provider, _) => new PayloadStoreModelSource(provider.GetRequiredService<PayloadStore>()));
        collection.AddAggregator(new AggregatorOptions
        {
            DataDirectory = dataDirectory,
            Model = new ModelOptions { Inputs = 4, Classes = 3 },
            Rounds = Plan,
            Announcements = new AnnouncementOptions { RepeatSeconds = repeatSeconds },
            Gateways =
            [
                new GatewayEnrolment { Id = first.Id, PublicKey = Convert.ToBase64String(first.Key.PublicKey.Span), AllowedPolicies = [TestGateway.PolicySha256, site.Policy.Hash] },
                new GatewayEnrolment { Id = second.Id, PublicKey = Convert.ToBase64String(second.Key.PublicKey.Span), AllowedPolicies = [TestGateway.PolicySha256] },
            ],
        });

        // The harness starts every hosted service; the test drives the coordinator and the publisher itself.
        var driven = collection
            .Where(service => service.ServiceType == typeof(IHostedService)
                && (service.ImplementationType == typeof(AnnouncementPublisher) || service.ImplementationType == typeof(RoundScheduler)))
            .ToList();
        driven.ShouldNotBeEmpty();
        driven.ForEach(service => collection.Remove(service));
        collection.AddSingleton<AnnouncementPublisher>();

        var run = new AggregatorRun(collection.BuildServiceProvider());
        runs.Add(run);
        await run.Harness.Start();
        await run.Coordinator.InitializeAsync(CancellationToken.None);
        return run;
    }

    private static async Task<RecordedEvent> RoundOpeningAsync(AggregatorRun run, int round) =>
        await run.History.Store.ReadStreamAsync(EventStreams.Round(TaskIds.Default, round)).FirstAsync();

    /// <summary>
    /// Moves the clock on by <paramref name="by"/> once the publisher waits to repeat, and returns when it waits again,
    /// that is when it has done what the repeat does (the clock's only timer is the publisher's).
    /// </summary>
    private async Task AdvancePastRepeatAsync(TimeSpan by)
    {
        await Eventually(() => Task.FromResult(clock.PendingTimers == 1), "the publisher to wait for its next repeat");
        clock.Advance(by);
        await Eventually(() => Task.FromResult(clock.PendingTimers == 1), "the publisher to finish the repeat and wait again");
    }

    private async Task WaitForCheckpointAsync(long position)
    {
        var checkpoint = new AnnouncementCheckpoint(CheckpointPath);
        await Eventually(async () => (await checkpoint.LoadAsync())?.Position >= position, $"the checkpoint to reach position {position}");
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException($"Timed out after {Timeout} waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    private static Dataset TinyData(int samples)
    {
        var features = Enumerable.Range(0, samples * 4).Select(index => index % 7 / 7f).ToArray();
        var labels = Enumerable.Range(0, samples).Select(index => (byte)(index % 3)).ToArray();
        return new Dataset(features, labels, 4, 3);
    }

    /// <summary>One life of the aggregator: its services over the shared data folder, its own in-memory bus.</summary>
    private sealed class AggregatorRun(ServiceProvider services) : IAsyncDisposable
    {
        private bool publisherStarted;
        private bool disposed;

        public ITestHarness Harness { get; } = services.GetRequiredService<ITestHarness>();

        /// <summary>Every round announcement, repeats included (the harness's lists keep one entry per message id).</summary>
        public RoundAnnouncementRecorder Rounds { get; } = RoundAnnouncementRecorder.ConnectTo(services.GetRequiredService<IBus>());

        public RoundCoordinator Coordinator { get; } = services.GetRequiredService<RoundCoordinator>();

        public EventHistory History { get; } = services.GetRequiredService<EventHistory>();

        private AnnouncementPublisher Publisher { get; } = services.GetRequiredService<AnnouncementPublisher>();

        public Task StartPublisherAsync()
        {
            publisherStarted = true;
            return Publisher.StartAsync(CancellationToken.None);
        }

        public List<IPublishedMessage<T>> Published<T>()
            where T : class => Harness.Published.Select<T>().ToList();

        public async Task<List<IPublishedMessage<T>>> WaitForPublishedAsync<T>(int count)
            where T : class
        {
            await Eventually(() => Task.FromResult(Published<T>().Count >= count), $"{count} {typeof(T).Name} published");
            return Published<T>();
        }

        public Task WaitForConsumedAsync<T>(int count)
            where T : class =>
            Eventually(() => Task.FromResult(Harness.Consumed.Select<T>().Count() >= count), $"{count} {typeof(T).Name} consumed");

        public async ValueTask DisposeAsync()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (publisherStarted)
            {
                await Publisher.StopAsync(CancellationToken.None);
            }

            await Harness.Stop();
            await services.DisposeAsync();
        }
    }

    /// <summary>Records each publish and consume of <see cref="RoundAnnouncedV2"/> on a bus, however often a message id recurs.</summary>
    private sealed class RoundAnnouncementRecorder : IPublishObserver, IConsumeObserver
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(Guid? MessageId, int Round)> published = new();
        private int consumed;

        public IReadOnlyList<(Guid? MessageId, int Round)> Published => [.. published];

        public int Consumed => Volatile.Read(ref consumed);

        public static RoundAnnouncementRecorder ConnectTo(IBus bus)
        {
            var recorder = new RoundAnnouncementRecorder();
            bus.ConnectPublishObserver(recorder);
            bus.ConnectConsumeObserver(recorder);
            return recorder;
        }

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is RoundAnnouncedV2 round)
            {
                published.Enqueue((context.MessageId, round.Round));
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (context.Message is RoundAnnouncedV2)
            {
                Interlocked.Increment(ref consumed);
            }

            return Task.CompletedTask;
        }

        public Task PrePublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}

/// <summary>Gateways in the aggregator's process read announced models from its payload store, as in the demo.</summary>
internal sealed class PayloadStoreModelSource(PayloadStore payloads) : Federation.Site.Models.IModelSource
{
    public async Task CopyToAsync(ModelReference model, long offset, Stream destination, CancellationToken cancellationToken)
    {
        await using var file = payloads.OpenRead(model.Sha256);
        file.Position = offset;
        await file.CopyToAsync(destination, cancellationToken);
    }
}
