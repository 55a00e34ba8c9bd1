using Microsoft.Extensions.Time.Testing;

namespace Federation.EventStore.Tests.Compliance;

/// <summary>
/// The behaviour every <see cref="IEventStore"/> backend must have. A backend enrols by deriving from this
/// class and implementing <see cref="CreateStoreAsync"/>; all tests then run against it.
/// </summary>
public abstract partial class EventStoreComplianceTests
{
    /// <summary>
    /// The clock every store made by <see cref="CreateStoreAsync"/> must use for timestamps.
    /// Sub-millisecond on purpose: timestamps must round-trip to the 100 ns tick.
    /// </summary>
    protected FakeTimeProvider Clock { get; } =
        new(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero).AddTicks(5_358_979));

    /// <summary>Opens a store on this test's own storage (empty at the test's first call, isolated from every other test) that uses <see cref="Clock"/>.</summary>
    /// <remarks>
    /// Every call within one test opens another instance on the same storage (file or schema),
    /// the way a restarted or a second process would, so the tests can reopen and run stores side by side.
    /// </remarks>
    protected abstract Task<IEventStore> CreateStoreAsync();

    // ---- Appending and expected versions ----

    [Fact]
    public async Task Append_to_a_new_stream_with_NoStream_starts_at_version_1_and_position_1()
    {
        var store = await CreateStoreAsync();

        var result = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(3));

        result.ShouldBe(new AppendResult(StreamVersion: 3, LastPosition: 3));
        var recorded = await store.ReadStreamAsync("contributor-1").ToListAsync();
        recorded.Select(e => e.StreamVersion).ShouldBe([1L, 2L, 3L]);
        recorded.Select(e => e.Position).ShouldBe([1L, 2L, 3L]);
        recorded.ShouldAllBe(e => e.StreamId == "contributor-1");
    }

    [Fact]
    public async Task Append_to_a_new_stream_with_Any_starts_at_version_1()
    {
        var store = await CreateStoreAsync();

        var result = await store.AppendAsync("contributor-1", ExpectedVersion.Any, TestEvents.Many(2));

        result.ShouldBe(new AppendResult(2, 2));
        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(2);
    }

    [Fact]
    public async Task Append_with_the_right_expected_version_continues_the_stream()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var result = await store.AppendAsync("contributor-1", 2, TestEvents.Many(3));

        result.ShouldBe(new AppendResult(5, 5));
        (await store.ReadStreamAsync("contributor-1").ToListAsync())
            .Select(e => e.StreamVersion).ShouldBe([1L, 2L, 3L, 4L, 5L]);
    }

    [Fact]
    public async Task Append_with_Any_to_an_existing_stream_continues_the_stream()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var result = await store.AppendAsync("contributor-1", ExpectedVersion.Any, TestEvents.Many(1));

        result.ShouldBe(new AppendResult(3, 3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Append_with_a_wrong_expected_version_throws_with_stream_expected_and_actual(long expectedVersion)
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<WrongExpectedVersionException>(
            () => store.AppendAsync("contributor-1", expectedVersion, TestEvents.Many(1)));

        exception.StreamId.ShouldBe("contributor-1");
        exception.ExpectedVersion.ShouldBe(expectedVersion);
        exception.ActualVersion.ShouldBe(2);
        exception.Message.ShouldContain("contributor-1");
        exception.Message.ShouldContain($"{expectedVersion}");
        exception.Message.ShouldContain("2");
    }

    [Fact]
    public async Task Append_with_NoStream_to_an_existing_stream_throws_and_writes_nothing()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));

        var exception = await Should.ThrowAsync<WrongExpectedVersionException>(
            () => store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(1)));

        exception.ExpectedVersion.ShouldBe(ExpectedVersion.NoStream);
        exception.ActualVersion.ShouldBe(2);
        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(2);
        (await store.GetLastPositionAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task Append_expecting_a_version_of_a_missing_stream_throws_with_actual_version_0()
    {
        var store = await CreateStoreAsync();

        var exception = await Should.ThrowAsync<WrongExpectedVersionException>(
            () => store.AppendAsync("contributor-1", 4, TestEvents.Many(1)));

        exception.ActualVersion.ShouldBe(0);
        (await store.GetLastPositionAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Streams_are_versioned_independently_while_positions_are_global()
    {
        var store = await CreateStoreAsync();

        var first = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        var second = await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(1));
        var third = await store.AppendAsync("contributor-1", 2, TestEvents.Many(1));

        first.ShouldBe(new AppendResult(2, 2));
        second.ShouldBe(new AppendResult(1, 3));
        third.ShouldBe(new AppendResult(3, 4));
    }

    [Fact]
    public async Task Stream_ids_are_compared_exactly()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("Contributor-1", ExpectedVersion.NoStream, TestEvents.Many(1));

        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(1));
        await store.AppendAsync("contributor-1 ", ExpectedVersion.NoStream, TestEvents.Many(1));

        (await store.GetStreamVersionAsync("Contributor-1")).ShouldBe(1);
        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(1);
        (await store.GetStreamVersionAsync("contributor-1 ")).ShouldBe(1);
    }

    // ---- Idempotency by event id ----

    [Fact]
    public async Task Repeating_an_append_stores_its_events_once_and_returns_the_original_result()
    {
        var store = await CreateStoreAsync();
        var batch = TestEvents.Many(2);
        var original = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, batch);
        await store.AppendAsync("contributor-1", 2, TestEvents.Many(1));

        // The expected version is stale by now; a retry must still succeed, because the events are already in.
        var repeated = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, batch);
        var repeatedWithAny = await store.AppendAsync("contributor-1", ExpectedVersion.Any, batch);

        repeated.ShouldBe(original);
        repeatedWithAny.ShouldBe(original);
        (await store.ReadAllAsync().ToListAsync()).Count.ShouldBe(3);
        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(3);
    }

    [Fact]
    public async Task Repeating_an_append_returns_the_original_positions_when_other_streams_moved_on()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(2));
        var batch = TestEvents.Many(3);
        var original = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, batch);
        await store.AppendAsync("contributor-2", 2, TestEvents.Many(4));

        var repeated = await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, batch);

        original.ShouldBe(new AppendResult(3, 5));
        repeated.ShouldBe(original);
        (await store.GetLastPositionAsync()).ShouldBe(9);
    }

    [Fact]
    public async Task A_partly_repeated_batch_is_refused_and_writes_nothing()
    {
        var store = await CreateStoreAsync();
        var a = TestEvents.New();
        var b = TestEvents.New();
        var c = TestEvents.New();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [a, b]);

        await Should.ThrowAsync<InvalidOperationException>(() => store.AppendAsync("contributor-1", ExpectedVersion.Any, [a, c]));
        await Should.ThrowAsync<InvalidOperationException>(() => store.AppendAsync("contributor-1", ExpectedVersion.Any, [a, b, c]));
        await Should.ThrowAsync<InvalidOperationException>(() => store.AppendAsync("contributor-1", ExpectedVersion.Any, [b, a]));

        (await store.ReadAllAsync().ToListAsync()).Select(e => e.EventId).ShouldBe([a.EventId, b.EventId]);
    }

    [Fact]
    public async Task A_new_batch_containing_an_already_stored_event_is_refused_and_writes_nothing()
    {
        var store = await CreateStoreAsync();
        var stored = TestEvents.New();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [stored]);

        await Should.ThrowAsync<InvalidOperationException>(
            () => store.AppendAsync("contributor-1", 1, [TestEvents.New(), stored]));

        (await store.GetLastPositionAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task Repeating_an_append_on_a_different_stream_is_refused()
    {
        var store = await CreateStoreAsync();
        var batch = TestEvents.Many(2);
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, batch);

        var exception = await Should.ThrowAsync<InvalidOperationException>(
            () => store.AppendAsync("contributor-2", ExpectedVersion.NoStream, batch));

        exception.Message.ShouldContain("contributor-1");
        (await store.GetStreamVersionAsync("contributor-2")).ShouldBe(0);
    }

    // ---- Argument validation ----

    [Fact]
    public async Task An_empty_batch_is_refused()
    {
        var store = await CreateStoreAsync();

        await Should.ThrowAsync<ArgumentException>(() => store.AppendAsync("contributor-1", ExpectedVersion.Any, []));
    }

    [Theory]
    [InlineData("empty stream id")]
    [InlineData("whitespace stream id")]
    [InlineData("stream id with a lone surrogate")]
    [InlineData("expected version below Any")]
    [InlineData("empty event id")]
    [InlineData("empty type")]
    [InlineData("whitespace type")]
    [InlineData("empty data")]
    [InlineData("data that is not JSON")]
    [InlineData("data with two JSON values")]
    [InlineData("data with a lone surrogate")]
    [InlineData("null headers")]
    [InlineData("header with a lone surrogate")]
    [InlineData("duplicate event id in the batch")]
    public async Task Invalid_arguments_are_refused_and_nothing_of_the_batch_is_written(string problem)
    {
        var store = await CreateStoreAsync();
        var streamId = "contributor-1";
        var expectedVersion = ExpectedVersion.Any;
        var first = TestEvents.New();
        var bad = TestEvents.New();
        switch (problem)
        {
            case "empty stream id": streamId = ""; break;
            case "whitespace stream id": streamId = "  "; break;
            case "stream id with a lone surrogate": streamId = "contributor-\uDC00"; break;
            case "expected version below Any": expectedVersion = -2; break;
            case "empty event id": bad = bad with { EventId = Guid.Empty }; break;
            case "empty type": bad = bad with { Type = "" }; break;
            case "whitespace type": bad = bad with { Type = " \t" }; break;
            case "empty data": bad = bad with { Data = "" }; break;
            case "data that is not JSON": bad = bad with { Data = "{\"round\":" }; break;
            case "data with two JSON values": bad = bad with { Data = "{} {}" }; break;
            case "data with a lone surrogate": bad = bad with { Data = "\"\uD800\"" }; break;
            case "null headers": bad = bad with { Metadata = new EventMetadata(null, null, null!) }; break;
            case "header with a lone surrogate": bad = bad with { Metadata = new EventMetadata(null, null, new Dictionary<string, string> { ["h"] = "\uD800" }) }; break;
            case "duplicate event id in the batch": bad = bad with { EventId = first.EventId }; break;
            default: throw new ArgumentOutOfRangeException(nameof(problem), problem, "unknown case");
        }

        // The bad event comes second, after a valid one: the whole batch must be refused.
        await Should.ThrowAsync<ArgumentException>(
            () => store.AppendAsync(streamId, expectedVersion, [first, bad, TestEvents.New()]));

        (await store.GetLastPositionAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Reads_refuse_versions_and_positions_below_1_and_empty_stream_ids()
    {
        var store = await CreateStoreAsync();

        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await store.ReadStreamAsync("contributor-1", 0).ToListAsync());
        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await store.ReadAllAsync(0).ToListAsync());
        await Should.ThrowAsync<ArgumentException>(async () => await store.ReadStreamAsync("").ToListAsync());
        await Should.ThrowAsync<ArgumentException>(() => store.GetStreamVersionAsync(" "));
    }

    // ---- Reading ----

    [Fact]
    public async Task ReadStream_from_a_version_returns_the_rest_of_the_stream_in_order()
    {
        var store = await CreateStoreAsync();
        var events = TestEvents.Many(5);
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, events[..2]);
        await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(1));
        await store.AppendAsync("contributor-1", 2, events[2..]);

        var fromVersion3 = await store.ReadStreamAsync("contributor-1", fromVersion: 3).ToListAsync();

        fromVersion3.Select(e => e.StreamVersion).ShouldBe([3L, 4L, 5L]);
        fromVersion3.Select(e => e.Position).ShouldBe([4L, 5L, 6L]);
        fromVersion3.Select(e => e.EventId).ShouldBe(events[2..].Select(e => e.EventId));
        (await store.ReadStreamAsync("contributor-1", fromVersion: 6).ToListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task ReadStream_of_a_missing_stream_yields_nothing()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(1));

        (await store.ReadStreamAsync("contributor-404").ToListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task ReadAll_from_a_position_returns_every_stream_in_global_order()
    {
        var store = await CreateStoreAsync();
        var one = TestEvents.Many(2);
        var two = TestEvents.Many(2);
        var three = TestEvents.Many(1);
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, one);
        await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, two);
        await store.AppendAsync("contributor-1", 2, three);

        var all = await store.ReadAllAsync().ToListAsync();
        var fromPosition2 = await store.ReadAllAsync(fromPosition: 2).ToListAsync();

        all.Select(e => e.EventId).ShouldBe(one.Concat(two).Concat(three).Select(e => e.EventId));
        all.Select(e => (e.Position, e.StreamId, e.StreamVersion)).ShouldBe(
        [
            (1L, "contributor-1", 1L),
            (2L, "contributor-1", 2L),
            (3L, "contributor-2", 1L),
            (4L, "contributor-2", 2L),
            (5L, "contributor-1", 3L),
        ]);
        fromPosition2.Select(e => e.Position).ShouldBe([2L, 3L, 4L, 5L]);
        (await store.ReadAllAsync(fromPosition: 6).ToListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_empty_store_reads_nothing_and_reports_zeros()
    {
        var store = await CreateStoreAsync();

        (await store.ReadAllAsync().ToListAsync()).ShouldBeEmpty();
        (await store.GetLastPositionAsync()).ShouldBe(0);
        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(0);
    }

    [Fact]
    public async Task GetStreamVersion_and_GetLastPosition_follow_appends()
    {
        var store = await CreateStoreAsync();

        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(3));
        await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(2));

        (await store.GetStreamVersionAsync("contributor-1")).ShouldBe(3);
        (await store.GetStreamVersionAsync("contributor-2")).ShouldBe(2);
        (await store.GetStreamVersionAsync("contributor-3")).ShouldBe(0);
        (await store.GetLastPositionAsync()).ShouldBe(5);
    }

    [Fact]
    public async Task A_read_in_progress_does_not_block_appends()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(3));

        await using var reader = store.ReadAllAsync().GetAsyncEnumerator();
        (await reader.MoveNextAsync()).ShouldBeTrue();
        await store.AppendAsync("contributor-2", ExpectedVersion.NoStream, TestEvents.Many(1)).WaitAsync(TimeSpan.FromSeconds(30));

        var positions = new List<long> { reader.Current.Position };
        while (await reader.MoveNextAsync())
        {
            positions.Add(reader.Current.Position);
        }

        // Whether the open read sees the new event is up to the backend; it must stay gap-free either way.
        positions.ShouldBe(Enumerable.Range(1, positions.Count).Select(p => (long)p));
        (await store.GetLastPositionAsync()).ShouldBe(4);
    }

    [Fact]
    public async Task Reading_can_stop_early()
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(5));

        var firstTwo = await store.ReadAllAsync().Take(2).ToListAsync();
        await store.AppendAsync("contributor-1", 5, TestEvents.Many(1));

        firstTwo.Select(e => e.Position).ShouldBe([1L, 2L]);
        (await store.GetLastPositionAsync()).ShouldBe(6);
    }

    [Fact]
    public async Task Cancelled_calls_throw_and_write_nothing()
    {
        var store = await CreateStoreAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(
            () => store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(1), cancelled.Token));
        await Should.ThrowAsync<OperationCanceledException>(
            async () => await store.ReadAllAsync(cancellationToken: cancelled.Token).ToListAsync());

        (await store.GetLastPositionAsync()).ShouldBe(0);
    }

    // ---- What is stored ----

    [Fact]
    public async Task Data_is_stored_byte_exactly()
    {
        var store = await CreateStoreAsync();

        // Unusual spacing, key order, a duplicate key, number spellings, escapes next to the same characters
        // unescaped, non-ASCII and an emoji (a surrogate pair): re-serializing would change any of these.
        const string data =
            "{ \"zeta\" :1 ,\n\t\"alpha\":[ 1.50, 2E+10, -0.0, 12345678901234567890.000 ],\r\n"
            + "  \"name\":\"Zoë 🌍 日本\", \"escaped\":\"\\u00e9\\u00E9\\n\\\"\\/\", \"zeta\":2 }  \n";
        var appended = TestEvents.New(data: data);
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [appended]);

        var fromStream = (await store.ReadStreamAsync("contributor-1").ToListAsync()).Single();
        var fromAll = (await store.ReadAllAsync().ToListAsync()).Single();

        // Ordinal comparisons on purpose: nothing about the text may differ, not even line endings.
        string.Equals(fromStream.Data, data, StringComparison.Ordinal).ShouldBeTrue();
        string.Equals(fromAll.Data, data, StringComparison.Ordinal).ShouldBeTrue();
        System.Text.Encoding.UTF8.GetBytes(fromAll.Data).ShouldBe(System.Text.Encoding.UTF8.GetBytes(data));
    }

    [Fact]
    public async Task Event_id_and_type_round_trip()
    {
        var store = await CreateStoreAsync();
        var appended = TestEvents.New(type: "Federation.Aggregator.RoundClosed, v2");
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [appended]);

        var recorded = (await store.ReadAllAsync().ToListAsync()).Single();

        recorded.EventId.ShouldBe(appended.EventId);
        recorded.Type.ShouldBe("Federation.Aggregator.RoundClosed, v2");
    }

    [Fact]
    public async Task Metadata_round_trips()
    {
        var store = await CreateStoreAsync();
        var headers = new Dictionary<string, string>
        {
            ["client-version"] = "1.4.2",
            ["tenant"] = "hôpital-nord 🏥",
            ["quoted"] = "a \"quote\", a \\ backslash and a\nnewline",
            ["empty"] = "",
        };
        var metadata = new EventMetadata(Guid.NewGuid(), Guid.NewGuid(), headers);
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [TestEvents.New(metadata: metadata), TestEvents.New()]);

        var recorded = await store.ReadStreamAsync("contributor-1").ToListAsync();

        recorded[0].Metadata.CorrelationId.ShouldBe(metadata.CorrelationId);
        recorded[0].Metadata.CausationId.ShouldBe(metadata.CausationId);
        recorded[0].Metadata.Headers.OrderBy(h => h.Key, StringComparer.Ordinal)
            .ShouldBe(headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        recorded[1].Metadata.CorrelationId.ShouldBeNull();
        recorded[1].Metadata.CausationId.ShouldBeNull();
        recorded[1].Metadata.Headers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Timestamps_come_from_the_clock_to_the_tick()
    {
        var store = await CreateStoreAsync();
        var firstTime = Clock.GetUtcNow();
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, TestEvents.Many(2));
        Clock.Advance(TimeSpan.FromTicks(1));
        var secondTime = Clock.GetUtcNow();
        await store.AppendAsync("contributor-1", 2, TestEvents.Many(1));

        var recorded = await store.ReadAllAsync().ToListAsync();

        recorded.Select(e => e.Timestamp).ShouldBe([firstTime, firstTime, secondTime]);
        recorded.ShouldAllBe(e => e.Timestamp.Offset == TimeSpan.Zero);
    }

    // ---- Concurrency ----

    [Fact]
    public async Task Concurrent_appenders_and_a_polling_reader_see_a_gap_free_log_in_commit_order()
    {
        const int Appenders = 8;
        const int AppendsPerAppender = 50;
        const string SharedStream = "shared";
        var store = await CreateStoreAsync();

        // Every appender alternates between its own stream (exact expected version) and one shared stream
        // (read the version, append, retry on conflict), with batches of 1 to 3 events.
        async Task AppendManyAsync(int appender)
        {
            var ownStream = $"appender-{appender}";
            var ownVersion = ExpectedVersion.NoStream;
            for (var i = 0; i < AppendsPerAppender; i++)
            {
                var batch = TestEvents.Many(1 + (i % 3));
                if (i % 2 == 0)
                {
                    ownVersion = (await store.AppendAsync(ownStream, ownVersion, batch)).StreamVersion;
                }
                else
                {
                    await AppendWithRetriesAsync(store, SharedStream, batch);
                }
            }
        }

        var appenders = Task.WhenAll(Enumerable.Range(0, Appenders).Select(a => RunOnOwnThread(() => AppendManyAsync(a))));

        // The reader polls from the last position it saw, like a projection would. With a high-water-mark
        // bug it would see position n + 2 before n + 1 committed, and then never see n + 1.
        var seenByReader = new List<long>();
        var pollsThatSawEventsDuringAppends = 0;
        var reader = RunOnOwnThread(async () =>
        {
            var last = 0L;
            while (true)
            {
                var appendersFinished = appenders.IsCompleted;
                var lastBeforePoll = last;
                await foreach (var recorded in store.ReadAllAsync(last + 1))
                {
                    recorded.Position.ShouldBe(last + 1, "the reader saw a gap or an out-of-order position");
                    last = recorded.Position;
                    seenByReader.Add(last);
                }

                if (appendersFinished)
                {
                    return;
                }

                pollsThatSawEventsDuringAppends += last > lastBeforePoll ? 1 : 0;

                // Sleep rather than Task.Delay: a delay's continuation needs a thread-pool thread, and under
                // the test host on a small machine those can be scarce enough to stall the reader until
                // the appenders are done, which would leave nothing concurrent to check.
                Thread.Sleep(1);
            }
        });

        await appenders;
        await reader;

        pollsThatSawEventsDuringAppends.ShouldBeGreaterThan(1, "the reader must have read while appends were running, or this test proves nothing");
        var ownEventsPerAppender = Enumerable.Range(0, AppendsPerAppender).Where(i => i % 2 == 0).Sum(i => 1 + (i % 3));
        var sharedEventsPerAppender = Enumerable.Range(0, AppendsPerAppender).Where(i => i % 2 == 1).Sum(i => 1 + (i % 3));
        var total = Appenders * (ownEventsPerAppender + sharedEventsPerAppender);
        var expectedPositions = Enumerable.Range(1, total).Select(p => (long)p).ToList();
        seenByReader.ShouldBe(expectedPositions);
        (await store.GetLastPositionAsync()).ShouldBe(total);

        var all = await store.ReadAllAsync().ToListAsync();
        all.Select(e => e.Position).ShouldBe(expectedPositions);
        all.Select(e => e.EventId).Distinct().Count().ShouldBe(total);

        var shared = await store.ReadStreamAsync(SharedStream).ToListAsync();
        shared.Select(e => e.StreamVersion).ShouldBe(Versions(Appenders * sharedEventsPerAppender));
        for (var a = 0; a < Appenders; a++)
        {
            var own = await store.ReadStreamAsync($"appender-{a}").ToListAsync();
            own.Select(e => e.StreamVersion).ShouldBe(Versions(ownEventsPerAppender));
        }

        static IEnumerable<long> Versions(int count) => Enumerable.Range(1, count).Select(v => (long)v);
    }

    // A thread of its own rather than the thread pool: a backend whose async calls complete synchronously
    // (SQLite's do) would otherwise occupy the few pool threads of a small machine, and the "concurrent"
    // appenders and reader would mostly take turns instead of overlapping.
    protected static Task RunOnOwnThread(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private static async Task AppendWithRetriesAsync(IEventStore store, string streamId, EventData[] batch)
    {
        while (true)
        {
            var version = await store.GetStreamVersionAsync(streamId);
            try
            {
                await store.AppendAsync(streamId, version, batch);
                return;
            }
            catch (WrongExpectedVersionException)
            {
                // Another appender got there first: read the new version and try again.
            }
        }
    }
}
