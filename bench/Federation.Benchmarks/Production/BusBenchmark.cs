using Federation.Contracts.Tasks;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Audit;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Coordination.Contributions;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.Learning.Models;
using Federation.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client.Events;
using RabbitMQ.Client;

namespace Federation.Benchmarks.Production;

/// <summary>
/// End-to-end contributions per second over RabbitMQ and PostgreSQL: the real aggregator host
/// (<see cref="AggregatorRegistration.AddAggregator"/> with its history in PostgreSQL, on
/// <see cref="FederationBusExtensions.AddFederationBus"/> with <c>Bus:Kind=RabbitMQ</c>) takes N signed
/// 100k-parameter updates from three gateway-side buses, and the clock stops when the N-th
/// <see cref="ContributionAccepted"/> is in PostgreSQL. Beside it, raw RabbitMQ.Client publish (with
/// publisher confirms) and consume of bodies of the same size on a scratch quorum queue.
/// </summary>
/// <remarks>
/// A round closes as soon as every invited gateway is accepted, and accepts one contribution per gateway,
/// so the measured round invites N distinct enrolled gateways (ids and keys made up for the run). The
/// broker has three gateway users, so three publisher processes' worth of buses (factory-1..3) carry the
/// N gateways' contributions; the aggregator checks signatures against the enrolled keys, not broker users.
/// A short warm-up round runs first, so the measured round meets a JIT-compiled, connected aggregator.
/// </remarks>
public sealed class BusBenchmark : ProductionPart
{
    private const int WarmUpGateways = 16;
    private const int InFlightPerPublisher = 4;
    private const int RawPrefetch = 16;
    private const int RawWarmUpMessages = 50;

    // 784 → 126 → 10: 100,180 parameters, about 400 KB of F32 safetensors.
    private const int Inputs = 784;
    private const int Hidden = 126;
    private const int Classes = 10;

    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(90);

    private static readonly string AcceptedType = EventTypes.NameOf(typeof(ContributionAccepted));

    /// <inheritdoc />
    public override string Name => "bus";

    /// <inheritdoc />
    public override string Description => "RabbitMQ + PostgreSQL: aggregator e2e contributions/s of 100k-parameter updates vs raw RabbitMQ.Client [contributions]";

    /// <inheritdoc />
    public override string Usage => "bus [contributions in the measured round, default 1000]";

    /// <inheritdoc />
    public override async Task<int> MeasureAsync(string[] arguments)
    {
        var count = 1000;
        if (arguments.Length > 1
            || (arguments.Length == 1 && !int.TryParse(arguments[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out count))
            || count is < 10 or > 20_000)
        {
            Console.WriteLine($"usage: {Usage}; between 10 and 20,000");
            return 2;
        }

        var spec = ModelSpec.Mlp(Inputs, Hidden, Classes);
        var parameters = spec.Initialize(1).ElementCount;
        var gatewayCount = WarmUpGateways + count;

        // Everything a gateway computes before it sends is done before any clock starts.
        var prepare = Stopwatch.StartNew();
        var payloads = Enumerable.Range(0, gatewayCount).Select(index => SampleContributions.Update(spec, 1_000 + index)).ToArray();
        var payloadBytes = payloads[0].Length;
        Console.WriteLine(Invariant($"bus: MLP {Inputs}-{Hidden}-{Classes}, {parameters:N0} parameters, {payloadBytes:N0}-byte F32 safetensors payload per contribution; {count:N0} contributions measured after a {WarmUpGateways}-contribution warm-up round ({prepare.Elapsed.TotalSeconds:F1} s to make the payloads)"));

        var schema = ProductionServers.ScratchSchema("bus");
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-bus-bench-{Guid.NewGuid():N}");
        var hosts = new List<IHost>();
        try
        {
            await DeleteHostQueuesAsync();
            var aggregator = BuildAggregator(schema, dataDirectory, gatewayCount);
            hosts.Add(aggregator);
            await aggregator.StartAsync();
            var publishers = new List<IBus>();
            foreach (var user in ProductionServers.RabbitGateways)
            {
                var publisher = BuildHost(user, _ => { });
                hosts.Add(publisher);
                await publisher.StartAsync();
                publishers.Add(publisher.Services.GetRequiredService<IBus>());
            }

            var coordinator = aggregator.Services.GetRequiredService<RoundCoordinator>();
            var envelopeBytes = await WarmUpAsync(coordinator, publishers, payloads);
            var endToEnd = await MeasureRoundAsync(coordinator, publishers, payloads, schema, count);

            // The hosts leave the machine before the raw figures are measured.
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }

            hosts.Clear();
            await MeasureRawAsync(RawWarmUpMessages, payloadBytes);
            var rawPayload = await MeasureRawAsync(count, payloadBytes);
            var rawEnvelope = await MeasureRawAsync(count, envelopeBytes);

            Print(count, payloadBytes, envelopeBytes, endToEnd, rawPayload, rawEnvelope);
            return 0;
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }

            await DeleteHostQueuesAsync();
            await ProductionServers.DropSchemasAsync([schema]);
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static void Print(int count, int payloadBytes, int envelopeBytes, RoundResult endToEnd, RawResult rawPayload, RawResult rawEnvelope)
    {
        var table = new TextTable("measurement", "messages", "body bytes", "seconds", "messages/s", "MB/s of payload", "MB/s on the wire", "e2e / this");
        table.Add(
            "e2e: publish → accepted in PostgreSQL",
            Invariant($"{count:N0}"),
            Invariant($"{envelopeBytes:N0}"),
            Invariant($"{endToEnd.Seconds:F2}"),
            Invariant($"{count / endToEnd.Seconds:N1}"),
            Invariant($"{count * (double)payloadBytes / endToEnd.Seconds / 1e6:F1}"),
            Invariant($"{count * (double)envelopeBytes / endToEnd.Seconds / 1e6:F1}"),
            "");
        foreach (var (label, raw) in new[] { ("raw RabbitMQ.Client, payload-size body", rawPayload), ("raw RabbitMQ.Client, envelope-size body", rawEnvelope) })
        {
            table.Add(
                label,
                Invariant($"{raw.Count:N0}"),
                Invariant($"{raw.BodyBytes:N0}"),
                Invariant($"{raw.ConsumedSeconds:F2}"),
                Invariant($"{raw.Count / raw.ConsumedSeconds:N1}"),
                Invariant($"{raw.Count * (double)payloadBytes / raw.ConsumedSeconds / 1e6:F1}"),
                Invariant($"{raw.Count * (double)raw.BodyBytes / raw.ConsumedSeconds / 1e6:F1}"),
                Invariant($"{count / endToEnd.Seconds / (raw.Count / raw.ConsumedSeconds):P1}"));
        }

        Console.WriteLine();
        table.Print();
        Console.WriteLine();
        Console.WriteLine(Invariant($"e2e: the clock starts at the first publish and stops at the N-th ContributionAccepted's timestamp in PostgreSQL (the store's clock, same process)."));
        Console.WriteLine(Invariant($"  publishers: {ProductionServers.RabbitGateways.Length} gateway buses (broker users {string.Join(", ", ProductionServers.RabbitGateways)}), {InFlightPerPublisher} publishes in flight each, publisher confirms; in random gateway order"));
        Console.WriteLine(Invariant($"  all {count:N0} publishes confirmed after {endToEnd.PublishSeconds:F2} s ({count / endToEnd.PublishSeconds:N1}/s); first acceptance after {endToEnd.FirstAcceptedSeconds:F3} s; rejections: {endToEnd.Rejected}"));
        var drained = count - endToEnd.AcceptedWhilePublishing;
        Console.WriteLine(Invariant($"  accepted while publishing: {endToEnd.AcceptedWhilePublishing:N0} ({endToEnd.AcceptedWhilePublishing / endToEnd.PublishSeconds:N1}/s); {(drained > 0 ? Invariant($"the other {drained:N0} from the queue after the last confirm, publishers idle: {drained / (endToEnd.Seconds - endToEnd.PublishSeconds):N1}/s") : "none left after the last confirm")}"));
        Console.WriteLine(Invariant($"  the round then closed (all invited accepted) and FedAvg over the {count:N0} updates published model v{endToEnd.ModelVersion} at {endToEnd.ModelSeconds:F2} s"));
        Console.WriteLine(Invariant($"  aggregator: signature, hash and tensor checks {new ContributionSubmittedConsumerDefinition().ConcurrentMessageLimit} at a time; then, in the one DecisionGate, key, policy and round checks (ContributionAdmission), the payload file write and one single-event expected-version append per contribution"));
        Console.WriteLine(Invariant($"  body bytes: the MassTransit JSON envelope as it arrived at a queue bound to {FederationEntityNames.ContributionSubmitted} (payload base64 inside)"));
        Console.WriteLine(Invariant($"raw: {ProductionServers.RabbitGateways.Length} publisher connections × {InFlightPerPublisher} in flight, confirms awaited, persistent messages; 1 consumer, prefetch {RawPrefetch}, manual ack; durable quorum queue (as the aggregator's); seconds = first publish to last delivery"));
    }

    /// <summary>A round of the first gateways, published and aggregated; returns the contribution envelope's size on the wire.</summary>
    private static async Task<int> WarmUpAsync(RoundCoordinator coordinator, List<IBus> publishers, byte[][] payloads)
    {
        var invited = Enumerable.Range(0, WarmUpGateways).ToList();
        var opened = await coordinator.OpenRoundAsync(Plan(), invited.Select(SampleContributions.GatewayId).ToList(), CancellationToken.None)
            ?? throw new InvalidOperationException("The warm-up round could not be opened: a round is already open.");
        var messages = Sign(invited, opened, payloads);

        // A scratch queue on the contributions exchange sees exactly what the aggregator's queue gets.
        await using var connection = await ProductionServers.ConnectRabbitAsync(ProductionServers.RabbitAdmin, "envelope probe");
        await using var channel = await connection.CreateChannelAsync();
        var probe = (await channel.QueueDeclareAsync($"bench-envelope-{Guid.NewGuid():N}", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(probe, FederationEntityNames.ContributionSubmitted, "");
        await PublishAsync(publishers, messages);
        var envelope = await channel.BasicGetAsync(probe, autoAck: true)
            ?? throw new InvalidOperationException($"No contribution reached the probe queue bound to {FederationEntityNames.ContributionSubmitted}.");
        await channel.QueueDeleteAsync(probe);

        await WaitAsync(() => coordinator.CurrentModel.Version >= opened.BaseModelVersion + 1, "the warm-up round's model");
        return envelope.Body.Length;
    }

    private static async Task<RoundResult> MeasureRoundAsync(RoundCoordinator coordinator, List<IBus> publishers, byte[][] payloads, string schema, int count)
    {
        var invited = Enumerable.Range(WarmUpGateways, count).ToList();
        var opened = await coordinator.OpenRoundAsync(Plan(), invited.Select(SampleContributions.GatewayId).ToList(), CancellationToken.None)
            ?? throw new InvalidOperationException("The measured round could not be opened: a round is already open.");

        // Gateways finish training at different times: send in a random (seeded) order, not in invitation order.
        var messages = Sign(invited, opened, payloads);
        new Random(7).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(messages));

        await using var dataSource = NpgsqlDataSource.Create(ProductionServers.Postgres);
        var stream = EventStreams.Round(TaskIds.Default, opened.Round);
        var start = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        var publishing = PublishAsync(publishers, messages).ContinueWith(_ => watch.Elapsed.TotalSeconds, TaskScheduler.Default);

        var (accepted, rejected) = (0L, 0L);
        var lastProgress = Stopwatch.StartNew();
        while (accepted < count)
        {
            await Task.Delay(100);
            var previous = accepted + rejected;
            (accepted, rejected) = await CountRoundAsync(dataSource, schema, stream);
            if (rejected > 0)
            {
                throw new InvalidOperationException($"{rejected} contribution(s) were rejected in {stream}; the measurement needs every one accepted (see the aggregator's warnings above).");
            }

            if (publishing.IsFaulted)
            {
                await publishing;
            }

            lastProgress = accepted + rejected > previous ? Stopwatch.StartNew() : lastProgress;
            if (lastProgress.Elapsed > Stall)
            {
                throw new TimeoutException($"No contribution was recorded for {Stall.TotalSeconds:F0} s ({accepted:N0} of {count:N0} accepted).");
            }
        }

        var publishSeconds = await publishing;
        await WaitAsync(() => coordinator.CurrentModel.Version >= opened.BaseModelVersion + 1, "the measured round's model");
        var modelAt = await LastModelTimestampAsync(dataSource, schema);
        var acceptedAt = (await AcceptedTimestampsAsync(dataSource, schema, stream)).Select(at => (at - start).TotalSeconds).ToList();
        return new RoundResult(
            acceptedAt[^1], publishSeconds, acceptedAt[0], acceptedAt.Count(at => at <= publishSeconds), (int)rejected,
            coordinator.CurrentModel.Version, (modelAt - start).TotalSeconds);
    }

    private static async Task<(long Accepted, long Rejected)> CountRoundAsync(NpgsqlDataSource dataSource, string schema, string stream)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT COUNT(*) FILTER (WHERE type = @accepted), COUNT(*) FILTER (WHERE type = @rejected) FROM "{schema}".events WHERE stream_id = @stream;""");
        command.Parameters.AddWithValue("accepted", AcceptedType);
        command.Parameters.AddWithValue("rejected", EventTypes.NameOf(typeof(ContributionRejected)));
        command.Parameters.AddWithValue("stream", stream);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>When each contribution of the round was accepted, by the store's clock, in commit order.</summary>
    private static async Task<List<DateTimeOffset>> AcceptedTimestampsAsync(NpgsqlDataSource dataSource, string schema, string stream)
    {
        await using var command = dataSource.CreateCommand($"""SELECT "timestamp" FROM "{schema}".events WHERE stream_id = @stream AND type = @accepted ORDER BY position;""");
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("accepted", AcceptedType);
        var timestamps = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            timestamps.Add(ParseTimestamp(reader.GetString(0)));
        }

        return timestamps;
    }

    private static async Task<DateTimeOffset> LastModelTimestampAsync(NpgsqlDataSource dataSource, string schema)
    {
        await using var command = dataSource.CreateCommand($"""SELECT "timestamp" FROM "{schema}".events WHERE stream_id = @stream ORDER BY stream_version DESC LIMIT 1;""");
        command.Parameters.AddWithValue("stream", EventStreams.Models(TaskIds.Default));
        return ParseTimestamp((string)(await command.ExecuteScalarAsync())!);
    }

    // The store's fixed-width UTC text (TimestampText).
    internal static DateTimeOffset ParseTimestamp(string text) =>
        new(DateTime.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), TimeSpan.Zero);

    private static List<ContributionSubmitted> Sign(List<int> gateways, RoundOpened opened, byte[][] payloads) =>
        gateways.Select(index =>
        {
            using var key = SampleContributions.Key(index);
            return SampleContributions.Sign(
                SampleContributions.GatewayId(index), key, opened.Round, opened.BaseModelSha256, payloads[index], 1_000 + index % 500, DateTimeOffset.UtcNow);
        }).ToList();

    /// <summary>Message i goes out through publisher i mod P, each publisher with a few publishes in flight.</summary>
    private static Task PublishAsync(List<IBus> publishers, List<ContributionSubmitted> messages) =>
        Task.WhenAll(publishers.Select((bus, publisher) =>
        {
            var queue = new ConcurrentQueue<ContributionSubmitted>(messages.Where((_, index) => index % publishers.Count == publisher));
            return Task.WhenAll(Enumerable.Range(0, InFlightPerPublisher).Select(_ => Task.Run(async () =>
            {
                while (queue.TryDequeue(out var message))
                {
                    await bus.Publish(message);
                }
            })));
        }));

    private static RoundPlan Plan() => new() { Strategy = "fedavg", MinParticipants = 1, Duration = TimeSpan.FromMinutes(30) };

    private static IHost BuildAggregator(string schema, string dataDirectory, int gatewayCount)
    {
        var options = new AggregatorOptions
        {
            DataDirectory = dataDirectory,
            EventStore = new EventStoreOptions { Kind = EventStoreKinds.Postgres, ConnectionString = ProductionServers.Postgres, Schema = schema },
            Model = new ModelOptions { Kind = ModelKind.Mlp, Inputs = Inputs, Hidden = Hidden, Classes = Classes, Seed = 1 },
            // Rounds open when the benchmark asks, each inviting its own gateways.
            Rounds = new RoundPlan { Count = 0, MinParticipants = 1, Duration = TimeSpan.FromMinutes(30) },
            Gateways = Enumerable.Range(0, gatewayCount).Select(index =>
            {
                using var key = SampleContributions.Key(index);
                return new GatewayEnrolment { Id = SampleContributions.GatewayId(index), PublicKey = Convert.ToBase64String(key.PublicKey.Span), AllowedPolicies = [SampleContributions.PolicySha256] };
            }).ToList(),
        };
        return BuildHost(ProductionServers.RabbitAggregator, bus => bus.AddAggregatorConsumers(), services => services.AddAggregator(options));
    }

    /// <summary>A host wired as the real ones are: the Federation bus from configuration, signed in as <paramref name="user"/>.</summary>
    internal static IHost BuildHost(string user, Action<IBusRegistrationConfigurator> addConsumers, Action<IServiceCollection>? addServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(ProductionServers.BusSettings(user));
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddFederationBus(builder.Configuration, addConsumers);
        addServices?.Invoke(builder.Services);
        return builder.Build();
    }

    private static async Task<RawResult> MeasureRawAsync(int count, int bodyBytes)
    {
        var queue = $"bench-raw-{Guid.NewGuid():N}";
        await using var admin = await ProductionServers.ConnectRabbitAsync(ProductionServers.RabbitAdmin, "raw consumer");
        await using var consumerChannel = await admin.CreateChannelAsync();
        await consumerChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        var connections = new List<IConnection>();
        try
        {
            var body = new byte[bodyBytes];
            new Random(3).NextBytes(body);
            var watch = new Stopwatch();
            var received = 0;
            var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
            await consumerChannel.BasicQosAsync(0, RawPrefetch, global: false);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                if (delivery.Body.Length != bodyBytes)
                {
                    done.TrySetException(new InvalidDataException($"A {delivery.Body.Length}-byte message arrived on {queue}; {bodyBytes} were sent."));
                }

                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                if (Interlocked.Increment(ref received) == count)
                {
                    done.TrySetResult(watch.Elapsed.TotalSeconds);
                }
            };
            await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

            var channels = new List<IChannel>();
            foreach (var user in ProductionServers.RabbitGateways)
            {
                // The admin user: gateway users may only publish to the contribution and evaluation exchanges.
                var connection = await ProductionServers.ConnectRabbitAsync(ProductionServers.RabbitAdmin, $"raw publisher for {user}");
                connections.Add(connection);
                channels.Add(await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)));
            }

            var properties = new BasicProperties { Persistent = true, ContentType = "application/octet-stream" };
            var remaining = count;
            watch.Start();
            await Task.WhenAll(channels.SelectMany(channel => Enumerable.Range(0, InFlightPerPublisher).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
                }
            }))));
            var publishSeconds = watch.Elapsed.TotalSeconds;
            var consumedSeconds = await done.Task.WaitAsync(Stall);
            return new RawResult(count, bodyBytes, publishSeconds, consumedSeconds);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            await consumerChannel.QueueDeleteAsync(queue);
        }
    }

    /// <summary>
    /// The aggregator's queues in the benchmark's vhost, deleted before (messages a test run or an aborted
    /// run left would be consumed as strays) and after, as the messaging tests do.
    /// </summary>
    internal static async Task DeleteHostQueuesAsync()
    {
        await using var connection = await ProductionServers.ConnectRabbitAsync(ProductionServers.RabbitAdmin, "cleanup");
        await using var channel = await connection.CreateChannelAsync();
        foreach (var endpoint in new[] { "aggregator-contributions", ContributionPayloadChunkConsumerDefinition.QueueName, "aggregator-evaluations" })
        {
            foreach (var queue in new[] { endpoint, $"{endpoint}_error", $"{endpoint}_skipped" })
            {
                await channel.QueueDeleteAsync(queue);
            }
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Stall)
            {
                throw new TimeoutException($"Gave up waiting for {what} after {Stall.TotalSeconds:F0} s.");
            }

            await Task.Delay(50);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record RoundResult(
        double Seconds, double PublishSeconds, double FirstAcceptedSeconds, int AcceptedWhilePublishing, int Rejected, int ModelVersion, double ModelSeconds);

    private sealed record RawResult(int Count, int BodyBytes, double PublishSeconds, double ConsumedSeconds);
}
