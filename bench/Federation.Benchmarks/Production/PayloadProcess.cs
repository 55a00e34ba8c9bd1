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
/// be run by hand): the gateway's release of the update, or its sender. It prints its output and one
/// <see cref="ResultPrefix"/> line of JSON with what it measured, including its peak RSS.
/// </summary>
public sealed class PayloadProcess : IBenchmark
{
    internal const string BenchmarkName = "payload-process";
    internal const string ResultPrefix = "RESULT ";
    internal const string GatewayRelease = "gateway-release";
    internal const string GatewaySender = "gateway-sender";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(30);

    /// <inheritdoc />
    public string Name => BenchmarkName;

    /// <inheritdoc />
    public string Description => "one side of the payload benchmark in its own process (started by `payload`)";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        if (arguments.Length < 3)
        {
            Console.WriteLine("usage: payload-process gateway-release HIDDEN FOLDER ROUND BASE-SHA256 | gateway-sender URL FOLDER  (started by the payload benchmark)");
            return 2;
        }

        var result = arguments[0] switch
        {
            GatewayRelease => ReleaseAsync(int.Parse(arguments[1], CultureInfo.InvariantCulture), arguments[2], int.Parse(arguments[3], CultureInfo.InvariantCulture), arguments[4]),
            GatewaySender => SendAsync(new Uri(arguments[1]), arguments[2]),
            _ => throw new ArgumentException($"Unknown role '{arguments[0]}'.", nameof(arguments)),
        };
        var measured = result.GetAwaiter().GetResult();
        measured["peakBytes"] = (AggregationBenchmark.ReadStatusKilobytes("VmHWM") * 1024).ToString(CultureInfo.InvariantCulture);
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(measured));
        return 0;
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

    /// <summary>
    /// The measured gateway: a fresh start over its state, whose outbox holds the released update; the real sender
    /// uploads it to the aggregator at <paramref name="aggregator"/> and publishes the contribution on RabbitMQ.
    /// </summary>
    private static async Task<Dictionary<string, string>> SendAsync(Uri aggregator, string folder)
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

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        TimedPublisher? timed = null;
        using var host = BusBenchmark.BuildHost(ProductionServers.RabbitGateways[0], _ => { }, services =>
        {
            services.AddSingleton<IOutboxPublisher>(provider => timed = new TimedPublisher(new BusOutboxPublisher(provider.GetRequiredService<IBus>(), provider.GetRequiredService<GatewayPayloadDestinations>())));
            services.AddGateways([node], payloadDestination: (_, gateway) => new HttpPayloadDestination(http, aggregator, gateway.Id, key, TimeProvider.System));
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
            ["rssBefore"] = timed.ResidentBytesThen.ToString(CultureInfo.InvariantCulture),
            ["sentAt"] = sentAt.ToString("O", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The real publisher, noting when the sender first handed it an entry (the upload starts right then) and the process's resident set at that moment.</summary>
    private sealed class TimedPublisher(IOutboxPublisher inner) : IOutboxPublisher
    {
        public DateTimeOffset? FirstPublishAt { get; private set; }

        public long ResidentBytesThen { get; private set; }

        public Task PublishAsync(GatewayNode gateway, OutboxEntry entry, CancellationToken cancellationToken)
        {
            if (FirstPublishAt is null)
            {
                ResidentBytesThen = AggregationBenchmark.ReadStatusKilobytes("VmRSS") * 1024;
                FirstPublishAt = DateTimeOffset.UtcNow;
            }

            return inner.PublishAsync(gateway, entry, cancellationToken);
        }
    }
}
