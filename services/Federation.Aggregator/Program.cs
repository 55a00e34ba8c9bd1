using Federation.Aggregator;
using Federation.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// The aggregator as its own process, configured the .NET way: appsettings.json, then
// environment variables (Aggregator__DataDirectory, Bus__Kind, ...), then the command line.
var builder = Host.CreateApplicationBuilder(args);
var options = builder.Configuration.GetSection(AggregatorOptions.Section).Get<AggregatorOptions>() ?? new AggregatorOptions();
builder.Services.AddFederationBus(builder.Configuration, bus => bus.AddAggregatorConsumers());
builder.Services.AddAggregator(options);
await builder.Build().RunAsync();
