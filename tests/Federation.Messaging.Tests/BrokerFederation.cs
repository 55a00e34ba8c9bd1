using Federation.Audit.Contributions;
using Federation.Audit;
using Federation.Contracts.Messages;
using Federation.Coordination.Contributions;
using Federation.Coordination.Hosting;
using Federation.Coordination.Payloads;
using Federation.Site.Hosting;
using Federation.Site.Models;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Messaging.Tests;

/// <summary>
/// An aggregator and two gateways on the real broker, each signed in as its own broker user with
/// the endpoint names the hosts use. Gateways run their real consumers (no gateway node is
/// registered, so they do no work) and an observer records what arrives; the aggregator side
/// records with test consumers on the aggregator's endpoints.
/// </summary>
public sealed class BrokerFederation : IAsyncLifetime
{
    public const string Gateway1 = "factory-1";
    public const string Gateway2 = "factory-2";

    /// <summary>The aggregator's endpoint names, as AggregatorRegistration gives them.</summary>
    public static string ContributionsQueue { get; } =
        ((IConsumerDefinition)new ContributionSubmittedConsumerDefinition()).GetEndpointName(KebabCaseEndpointNameFormatter.Instance);

    public const string EvaluationsQueue = "aggregator-evaluations";

    public const string PayloadChunksQueue = ContributionPayloadChunkConsumerDefinition.QueueName;

    /// <summary>The aggregator's payload store, where the real chunk consumer assembles what gateways send in chunks.</summary>
    public PayloadStore Payloads { get; } = new(Path.Combine(Path.GetTempPath(), $"federation-broker-payloads-{Guid.NewGuid():N}"));

    public static string RoundsQueue(string gateway) => $"gateway-{gateway}-rounds";

    public static string ModelsQueue(string gateway) => $"gateway-{gateway}-models";

    public Recorder<ContributionSubmitted> Contributions { get; } = new();

    public Recorder<EvaluationReported> Evaluations { get; } = new();

    public Dictionary<string, Recorder<RoundAnnounced>> Rounds { get; } = new() { [Gateway1] = new(), [Gateway2] = new() };

    public Dictionary<string, Recorder<ModelPublished>> Models { get; } = new() { [Gateway1] = new(), [Gateway2] = new() };

    public Dictionary<string, Recorder<RoundAnnouncedV2>> RoundsV2 { get; } = new() { [Gateway1] = new(), [Gateway2] = new() };

    public Dictionary<string, Recorder<ModelPublishedV2>> ModelsV2 { get; } = new() { [Gateway1] = new(), [Gateway2] = new() };

    public BusHost Aggregator { get; private set; } = null!;

    public Dictionary<string, BusHost> Gateways { get; } = [];

    public async Task InitializeAsync()
    {
        await Broker.EnsureRunningAsync();
        Aggregator = await BusHost.StartAsync(Broker.Aggregator, bus =>
        {
            bus.AddConsumer<RecordingConsumer<ContributionSubmitted>>().Endpoint(endpoint => endpoint.Name = ContributionsQueue);
            bus.AddConsumer<RecordingConsumer<EvaluationReported>>().Endpoint(endpoint => endpoint.Name = EvaluationsQueue);
            bus.AddConsumer<ContributionPayloadChunkConsumer, ContributionPayloadChunkConsumerDefinition>();
        }, services =>
        {
            services.AddSingleton(Payloads);
            services.AddSingleton(new PayloadOptions());
            services.AddSingleton<PayloadArrivals>();
            services.AddSingleton<PayloadAssembly>();
            services.AddSingleton(Contributions);
            services.AddSingleton(Evaluations);
        });

        foreach (var gateway in new[] { Gateway1, Gateway2 })
        {
            Gateways[gateway] = await BusHost.StartAsync(gateway, bus => bus.AddGatewayConsumers($"gateway-{gateway}"), services =>
            {
                services.AddConsumeObserver(_ => new RecordingObserver<RoundAnnounced>(Rounds[gateway]));
                services.AddConsumeObserver(_ => new RecordingObserver<ModelPublished>(Models[gateway]));
                services.AddConsumeObserver(_ => new RecordingObserver<RoundAnnouncedV2>(RoundsV2[gateway]));
                services.AddConsumeObserver(_ => new RecordingObserver<ModelPublishedV2>(ModelsV2[gateway]));
                // No gateway runs in these hosts, so nothing is ever downloaded; the consumers still need their cache.
                services.AddSingleton(new GatewayModelFiles(null));
            });
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Gateways.Values)
        {
            await host.DisposeAsync();
        }

        if (Aggregator is not null)
        {
            await Aggregator.DisposeAsync();
        }

        Directory.Delete(Path.GetDirectoryName(Payloads.IncomingDirectory)!, recursive: true);
    }
}
