using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.Learning.Tensors;
using Federation.Messaging;
using Federation.Site.Hosting;
using Federation.Site;
using Federation.Trust;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// A whole federation in one process, wired exactly as the demo wires it: aggregator and gateways
/// on the in-memory bus, history in SQLite in a temporary folder. Tests add their own misbehaving
/// participants as extra consumers.
/// </summary>
public sealed class InProcessFederation : IAsyncDisposable
{
    private readonly IHost host;
    private readonly string dataDirectory;

    private InProcessFederation(IHost host, string dataDirectory)
    {
        this.host = host;
        this.dataDirectory = dataDirectory;
    }

    public IServiceProvider Services => host.Services;

    /// <summary>Starts a federation: <paramref name="gateways"/> behave; <paramref name="alsoEnrolled"/> are enrolled but driven by the test.</summary>
    /// <param name="settings">Configuration on top of the defaults, e.g. <c>Bus:Kind</c> to run on RabbitMQ instead of in memory.</param>
    public static async Task<InProcessFederation> StartAsync(
        IReadOnlyList<GatewayNode> gateways,
        IReadOnlyList<GatewayNode> alsoEnrolled,
        RoundPlan plan,
        Action<IBusRegistrationConfigurator>? addConsumers = null,
        Action<IServiceCollection>? addServices = null,
        string? aggregatorKeyFile = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        Federation.Coordination.Models.ModelOptions? model = null,
        Federation.Coordination.Announcements.AnnouncementOptions? announcements = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-e2e-{Guid.NewGuid():N}");
        // The key the gateways' policies name, where the aggregator looks for its key.
        Directory.CreateDirectory(dataDirectory);
        Ed25519KeyFile.Save(Path.Combine(dataDirectory, "aggregator.key"), TestGateways.AggregatorKey);
        var options = new AggregatorOptions
        {
            DataDirectory = dataDirectory,
            Log = new Federation.Coordination.Transparency.TransparencyOptions { KeyFile = aggregatorKeyFile ?? "" },
            Rounds = plan,
            Model = model ?? new Federation.Coordination.Models.ModelOptions(),
            Announcements = announcements ?? new Federation.Coordination.Announcements.AnnouncementOptions(),
            Gateways = gateways.Concat(alsoEnrolled)
                .Select(gateway => new GatewayEnrolment { Id = gateway.Id, PublicKey = Convert.ToBase64String(gateway.PublicKey.Span), AllowedPolicies = [gateway.Policy.Hash] })
                .ToList(),
        };

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        addServices?.Invoke(builder.Services);
        builder.Services.AddFederationBus(builder.Configuration, bus =>
        {
            bus.AddAggregatorConsumers();
            bus.AddGatewayConsumers("sites");
            addConsumers?.Invoke(bus);
        });
        builder.Services.AddAggregator(options);
        builder.Services.AddGateways(
            gateways,
            modelSource: (provider, _) => new Federation.Cli.Demo.PayloadStoreModelSource(provider.GetRequiredService<PayloadStore>()),
            payloadDestination: (provider, _) => new Federation.Cli.Demo.PayloadUploadsDestination(provider.GetRequiredService<PayloadUploads>()));
        var host = builder.Build();
        await host.StartAsync();
        return new InProcessFederation(host, dataDirectory);
    }

    /// <summary>Waits until the plan's rounds have closed.</summary>
    public Task CompletionAsync(TimeSpan timeout) => Services.GetRequiredService<FederationProgress>().PlanCompleted.WaitAsync(timeout);

    /// <summary>Every event in the history, in order.</summary>
    public Task<List<IFederationEvent>> EventsAsync() =>
        Services.GetRequiredService<EventHistory>().ReadAllAsync().Select(entry => entry.Event).ToListAsync().AsTask();

    /// <summary>The parameters of a published model version.</summary>
    public async Task<TensorSet> ModelAsync(ModelVersionPublished published) =>
        SafeTensors.Read(await Services.GetRequiredService<PayloadStore>().GetAsync(published.ModelSha256));

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
