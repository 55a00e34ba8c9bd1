using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Announcements;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.Hosting;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site;
using Federation.Trust;
using Federation.Vault.Datasets;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Federation.Benchmarks.Production;

/// <summary>
/// One side of the <c>payload</c> benchmark in its own process, started by <see cref="PayloadBenchmark"/> (not meant to
/// be run by hand). It prints its output, <see cref="SignalPrefix"/> lines when it reaches a step the parent waits for,
/// and one <see cref="ResultPrefix"/> line of JSON with what it measured, including its peak RSS.
/// </summary>
public sealed class PayloadProcess : IBenchmark
{
    internal const string BenchmarkName = "payload-process";
    internal const string ResultPrefix = "RESULT ";
    internal const string SignalPrefix = "SIGNAL ";
    internal const string AggregatorInit = "aggregator-init";
    internal const string GatewayRelease = "gateway-release";
    internal const string Aggregator = "aggregator";
    internal const string GatewaySender = "gateway-sender";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(30);

    /// <inheritdoc />
    public string Name => BenchmarkName;

    /// <inheritdoc />
    public string Description => "one side of the payload benchmark in its own process (started by `payload`)";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        if (arguments.Length < 4)
        {
            Console.WriteLine("usage: payload-process ROLE HIDDEN SCHEMA FOLDER [...]  (started by the payload benchmark)");
            return 2;
        }

        var (hidden, schema, folder) = (int.Parse(arguments[1], CultureInfo.InvariantCulture), arguments[2], arguments[3]);
        var result = arguments[0] switch
        {
            AggregatorInit => InitializeAggregatorAsync(hidden, schema, folder),
            GatewayRelease => ReleaseAsync(hidden, folder, int.Parse(arguments[4], CultureInfo.InvariantCulture), arguments[5]),
            Aggregator => ReceiveAsync(hidden, schema, folder, arguments[4]),
            GatewaySender => SendAsync(folder),
            _ => throw new ArgumentException($"Unknown role '{arguments[0]}'.", nameof(arguments)),
        };
        var measured = result.GetAwaiter().GetResult();
        measured["peakBytes"] = (AggregationBenchmark.ReadStatusKilobytes("VmHWM") * 1024).ToString(CultureInfo.InvariantCulture);
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(measured));
        return 0;
    }

    /// <summary>The aggregator's first start: publishes the initial model (v0, the update's base) and opens the round.</summary>
    private static async Task<Dictionary<string, string>> InitializeAggregatorAsync(int hidden, string schema, string folder)
    {
        var watch = Stopwatch.StartNew();
        using var host = BuildAggregator(hidden, schema, folder);
        await host.StartAsync();
        var coordinator = await InitializedAsync(host);
        var opened = await coordinator.OpenRoundAsync(
            new RoundPlan { MinParticipants = 1, Duration = Patience }, [SampleContributions.GatewayId(0), SampleContributions.GatewayId(1)], CancellationToken.None)
            ?? throw new InvalidOperationException("A round was already open in a fresh history.");
        await host.StopAsync();
        return new()
        {
            ["round"] = opened.Round.ToString(CultureInfo.InvariantCulture),
            ["baseModelSha256"] = opened.BaseModelSha256,
            ["seconds"] = watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// The gateway's release: the update is in memory, as after training, and goes to the outbox the way
    /// <c>LocalTraining</c> puts it there (<see cref="GatewayState.WriteOutboxPayload"/>, then the signed manifest and
    /// the outbox entry in one transaction). Its values are the MLP's seeded initial weights: finite, of the base
    /// model's layout, so the update passes every check.
    /// </summary>
    private static Task<Dictionary<string, string>> ReleaseAsync(int hidden, string folder, int round, string baseModelSha256)
    {
        var watch = Stopwatch.StartNew();
        var update = ModelSpec.Mlp(784, hidden, 10).Initialize(seed: 2);
        var state = GatewayState.Open(Path.Combine(folder, "gateway"));
        var (path, sha256, length) = state.WriteOutboxPayload(stream => SafeTensors.Write(update, stream));
        using var key = SampleContributions.Key(0);
        var now = DateTimeOffset.UtcNow;
        var (manifest, signature) = SampleContributions.SignManifest(SampleContributions.GatewayId(0), key, round, baseModelSha256, sha256, length, 1_000, now);
        var entry = new OutboxEntry(Guid.CreateVersion7(now), OutboxKinds.Contribution, manifest, signature, null, now, 0, path);
        var decision = new DecisionDraft(now, "model-update", $"round {round}", "benchmark", 1, SampleContributions.PolicySha256, true, null, []);
        state.RecordReleased(decision, GatewayState.RoundsLedger, round, entry, Sha256Hex.Of(Encoding.UTF8.GetBytes(manifest)), 1, null);
        return Task.FromResult(new Dictionary<string, string>
        {
            ["payloadSha256"] = sha256,
            ["payloadBytes"] = length.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The measured aggregator: a fresh start over the history, then the chunks and the contribution as they come.</summary>
    private static async Task<Dictionary<string, string>> ReceiveAsync(int hidden, string schema, string folder, string payloadSha256)
    {
        using var host = BuildAggregator(hidden, schema, folder);
        await host.StartAsync();
        var coordinator = await InitializedAsync(host);
        var store = host.Services.GetRequiredService<PayloadStore>();
        Console.WriteLine(SignalPrefix + "ready");

        DateTimeOffset? storedAt = null;
        var watch = Stopwatch.StartNew();
        while (coordinator.LatestRound is { Accepted.Count: 0, RejectedCount: 0 })
        {
            storedAt ??= store.Contains(payloadSha256) ? DateTimeOffset.UtcNow : null;
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"No decision on the contribution after {Patience}.");
            }

            await Task.Delay(20);
        }

        var decidedAt = DateTimeOffset.UtcNow;
        var result = new Dictionary<string, string>
        {
            ["decidedAt"] = decidedAt.ToString("O", CultureInfo.InvariantCulture),
            ["storedAt"] = (storedAt ?? decidedAt).ToString("O", CultureInfo.InvariantCulture),
            ["outcome"] = coordinator.LatestRound!.Accepted.Count > 0 ? "accepted" : "rejected",
        };
        if (coordinator.LatestRound.RejectedCount > 0)
        {
            var rejected = await host.Services.GetRequiredService<EventHistory>().ReadAllAsync().Select(entry => entry.Event).OfType<ContributionRejected>().LastAsync();
            result["rejection"] = $"{rejected.Reason}: {rejected.Detail}";
        }

        await host.StopAsync();
        return result;
    }

    /// <summary>The measured gateway: a fresh start over its state, whose outbox holds the released update; the real sender sends it.</summary>
    private static async Task<Dictionary<string, string>> SendAsync(string folder)
    {
        var state = GatewayState.Open(Path.Combine(folder, "gateway"));
        using var key = SampleContributions.Key(0);
        var aggregatorKeyId = new string('a', 64);
        // The sender only reads the outbox; policy and data are a gateway's required parts, not used here.
        var policy = PolicyLoader.FromBytes(
            Encoding.UTF8.GetBytes(PolicyTemplate.ForModel("benchmark", ModelSpec.LogisticRegression(4, 3).Initialize(1), aggregatorKeyId, DateTimeOffset.UtcNow.AddDays(1))),
            "benchmark.yaml");
        var data = new Dataset(new float[4], [0], 4, 3);
        var node = new GatewayNode(SampleContributions.GatewayId(0), key, policy, new Federation.Site.Training.DatasetTrainer(new LocalData(data, data)), TimeProvider.System, aggregatorKeyId, state);

        TimedPublisher? timed = null;
        using var host = BusBenchmark.BuildHost(ProductionServers.RabbitGateways[0], _ => { }, services =>
        {
            services.AddSingleton<IOutboxPublisher>(provider => timed = new TimedPublisher(new BusOutboxPublisher(provider.GetRequiredService<IBus>())));
            services.AddGateways([node]);
        });
        await host.StartAsync();
        var watch = Stopwatch.StartNew();
        while (state.PendingOutbox().Count > 0)
        {
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"The outbox entry was not sent after {Patience}.");
            }

            await Task.Delay(20);
        }

        var sentAt = DateTimeOffset.UtcNow;
        await host.StopAsync();
        return new()
        {
            ["firstPublishAt"] = timed!.FirstPublishAt!.Value.ToString("O", CultureInfo.InvariantCulture),
            ["sentAt"] = sentAt.ToString("O", CultureInfo.InvariantCulture),
        };
    }

    private static IHost BuildAggregator(int hidden, string schema, string folder)
    {
        var options = new AggregatorOptions
        {
            DataDirectory = Path.Combine(folder, "aggregator"),
            EventStore = new EventStoreOptions { Kind = EventStoreKinds.Postgres, ConnectionString = ProductionServers.Postgres, Schema = schema },
            Model = new ModelOptions { Kind = ModelKind.Mlp, Inputs = 784, Hidden = hidden, Classes = 10, Seed = 1 },
            Rounds = new RoundPlan { Count = 0, MinParticipants = 1, Duration = Patience },
            Gateways = Enumerable.Range(0, 2).Select(index =>
            {
                using var key = SampleContributions.Key(index);
                return new GatewayEnrolment { Id = SampleContributions.GatewayId(index), PublicKey = Convert.ToBase64String(key.PublicKey.Span), AllowedPolicies = [SampleContributions.PolicySha256] };
            }).ToList(),
        };
        return BusBenchmark.BuildHost(ProductionServers.RabbitAggregator, bus => bus.AddAggregatorConsumers(), services =>
        {
            services.AddAggregator(options);
            // Announcing a round inlines its base model, which a 1 GB model cannot be yet (see PayloadBenchmark).
            services.Remove(services.Single(service => service.ImplementationType == typeof(AnnouncementPublisher)));
        });
    }

    private static async Task<RoundCoordinator> InitializedAsync(IHost host)
    {
        var coordinator = host.Services.GetRequiredService<RoundCoordinator>();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                _ = coordinator.CurrentModel;
                return coordinator;
            }
            catch (InvalidOperationException) when (watch.Elapsed < Patience)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>The real publisher, noting when the sender first handed it an entry: the first chunk is read and published right then.</summary>
    private sealed class TimedPublisher(IOutboxPublisher inner) : IOutboxPublisher
    {
        public DateTimeOffset? FirstPublishAt { get; private set; }

        public Task PublishAsync(GatewayNode gateway, OutboxEntry entry, CancellationToken cancellationToken)
        {
            FirstPublishAt ??= DateTimeOffset.UtcNow;
            return inner.PublishAsync(gateway, entry, cancellationToken);
        }
    }
}
