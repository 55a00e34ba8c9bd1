namespace Federation.EventStore.Tests.Compliance;

/// <summary><see cref="CatchUpSubscription"/> over every backend: catch up from a checkpoint, then follow live.</summary>
public abstract partial class EventStoreComplianceTests
{
    private static readonly TimeSpan SubscriptionPollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan SubscriptionTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_subscription_from_a_checkpoint_catches_up_then_follows_later_appends_in_order_without_gaps()
    {
        const int Appenders = 4;
        const int AppendsPerAppender = 15;
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(5));
        var subscription = new CatchUpSubscription(store, SubscriptionPollInterval);
        const long Checkpoint = 2;
        var expectedCount = 5 - Checkpoint + (Appenders * Enumerable.Range(0, AppendsPerAppender).Sum(i => 1 + (i % 3)));
        using var timeout = new CancellationTokenSource(SubscriptionTimeout);
        var received = new List<RecordedEvent>();
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var following = RunOnOwnThread(async () =>
        {
            await foreach (var recorded in subscription.SubscribeAllAsync(Checkpoint + 1, timeout.Token))
            {
                lock (received)
                {
                    received.Add(recorded);
                }

                if (recorded.Position == 5)
                {
                    caughtUp.TrySetResult();
                }

                if (received.Count == expectedCount)
                {
                    return;
                }
            }
        });

        // Everything stored before the subscription started comes first; only then do live appends begin,
        // from several writers at once, while the subscription is waiting for the next position.
        await caughtUp.Task.WaitAsync(timeout.Token);
        lock (received)
        {
            received.Select(e => e.Position).ShouldBe([3L, 4L, 5L]);
        }

        await Task.WhenAll(Enumerable.Range(0, Appenders).Select(appender => RunOnOwnThread(async () =>
        {
            var version = ExpectedVersion.NoStream;
            for (var i = 0; i < AppendsPerAppender; i++)
            {
                version = (await store.AppendAsync($"appender-{appender}", version, TestEvents.Many(1 + (i % 3)))).StreamVersion;
            }
        })));
        await following.WaitAsync(timeout.Token);

        var lastPosition = await store.GetLastPositionAsync();
        received.Select(e => e.Position).ShouldBe(Enumerable.Range(3, (int)lastPosition - 2).Select(p => (long)p));
        received.Select(e => e.EventId).ShouldBe((await store.ReadAllAsync(3).ToListAsync()).Select(e => e.EventId));
    }

    [Fact]
    public async Task A_subscription_on_an_empty_store_waits_for_the_first_event()
    {
        var store = new ReadCountingStore(await CreateStoreAsync());
        var subscription = new CatchUpSubscription(store, SubscriptionPollInterval);
        using var timeout = new CancellationTokenSource(SubscriptionTimeout);

        var first = subscription.SubscribeAllAsync(1, timeout.Token).FirstAsync(timeout.Token).AsTask();
        await store.FinishedReadsAsync(2).WaitAsync(timeout.Token);
        first.IsCompleted.ShouldBeFalse("the subscription read the empty store twice and had nothing to yield");
        var appended = TestEvents.New();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [appended]);

        var recorded = await first.WaitAsync(timeout.Token);
        recorded.Position.ShouldBe(1);
        recorded.EventId.ShouldBe(appended.EventId);
    }

    [Fact]
    public async Task A_notified_subscription_reads_a_new_event_at_once_instead_of_at_its_next_poll()
    {
        var store = new ReadCountingStore(await CreateStoreAsync());
        var signal = new AppendSignal();
        var subscription = new CatchUpSubscription(store, TimeSpan.FromHours(1), signal);
        using var timeout = new CancellationTokenSource(SubscriptionTimeout);

        // Appended only once the subscription has found the store empty, so only the signal can bring the event.
        var first = subscription.SubscribeAllAsync(1, timeout.Token).FirstAsync(timeout.Token).AsTask();
        await store.FinishedReadsAsync(1).WaitAsync(timeout.Token);
        var appended = TestEvents.New();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [appended]);
        signal.Notify();

        // Without the signal this would wait for the hour-long poll and time out.
        (await first.WaitAsync(timeout.Token)).EventId.ShouldBe(appended.EventId);
    }

    [Fact]
    public async Task Cancelling_a_subscription_ends_it_while_it_reads_and_while_it_waits()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(3));
        var counted = new ReadCountingStore(store);
        var subscription = new CatchUpSubscription(counted, SubscriptionPollInterval);

        // Cancelled by the consumer in the middle of the backlog.
        using var whileReading = new CancellationTokenSource();
        var seen = new List<long>();
        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var recorded in subscription.SubscribeAllAsync(1, whileReading.Token))
            {
                seen.Add(recorded.Position);
                if (recorded.Position == 2)
                {
                    await whileReading.CancelAsync();
                }
            }
        });
        seen.ShouldBe([1L, 2L]);

        // Cancelled from outside while it waits for position 4, which never comes.
        using var whileWaiting = new CancellationTokenSource();
        var waiting = RunOnOwnThread(async () =>
        {
            await foreach (var recorded in subscription.SubscribeAllAsync(4, whileWaiting.Token))
            {
                throw new InvalidOperationException($"Nothing was appended, yet the subscription yielded position {recorded.Position}.");
            }
        });
        // The backlog's read was cancelled midway and does not count; these two are the waiting subscription finding nothing new.
        await counted.FinishedReadsAsync(2).WaitAsync(SubscriptionTimeout);
        waiting.IsCompleted.ShouldBeFalse();
        await whileWaiting.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => waiting.WaitAsync(SubscriptionTimeout));
    }

    [Fact]
    public async Task A_subscription_refuses_positions_below_1_at_the_call()
    {
        var store = await CreateStoreAsync();
        var subscription = new CatchUpSubscription(store, SubscriptionPollInterval);

        Should.Throw<ArgumentOutOfRangeException>(() => subscription.SubscribeAllAsync(0));
        Should.Throw<ArgumentOutOfRangeException>(() => new CatchUpSubscription(store, TimeSpan.Zero));
    }
}
