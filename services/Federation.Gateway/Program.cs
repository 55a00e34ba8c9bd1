using Federation.Gateway;
using Federation.Messaging;
using Federation.Site;
using Federation.Site.Hosting;
using Federation.Site.Models;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Trust;
using Federation.Vault;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// One factory's gateway as its own process, configured the .NET way: appsettings.json, then
// environment variables (Gateway__Id, Gateway__KeyFile, Bus__Kind, ...), then the command line.
var builder = Host.CreateApplicationBuilder(args);
// A gateway's defaults, below every other source: keep retrying an unreachable broker for a day
// (a network cut or a broker still booting), with the outbox safe on disk meanwhile.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
{
    InitialData = [new("Bus:RabbitMQ:WaitForBroker", "1.00:00:00")],
});
var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
options.Validate();

// The trainers read the vault (Gateway:Training:Source, Gateway:Tasks:<task>:Training:Source), so all share one store.
var vault = VaultStore.Open(options.StateDirectory, options.Vault);
var key = Ed25519KeyFile.Load(options.KeyFile);
var gateway = new GatewayNode(
    options.Id, key, GatewayPolicy.Load(options.PolicyFile), options.CreateTrainers(vault), TimeProvider.System,
    options.AggregatorKeyId, GatewayState.Open(options.StateDirectory))
{
    PayloadChunkBytes = options.PayloadChunkBytes,
};

builder.Services.AddFederationBus(builder.Configuration, bus => bus.AddGatewayConsumers($"gateway-{options.Id}"));
// Announced models are downloaded from the aggregator's API, and large updates uploaded to it, signed with the gateway's own key.
using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
var aggregator = string.IsNullOrWhiteSpace(options.Aggregator.BaseUrl) ? null : new Uri(options.Aggregator.BaseUrl);
builder.Services.AddGateways(
    [gateway],
    modelSource: aggregator is null ? null : (_, node) => new HttpModelSource(http, aggregator, node.Id, key, TimeProvider.System),
    payloadDestination: aggregator is null ? null : (provider, node) => new HttpPayloadDestination(
        http, aggregator, node.Id, key, TimeProvider.System, provider.GetRequiredService<ILoggerFactory>().CreateLogger<HttpPayloadDestination>()));
builder.Services.AddVault(vault);
await builder.Build().RunAsync();
