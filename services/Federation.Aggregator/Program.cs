using Federation.Aggregator.Api;
using Federation.Contracts.Api;
using Federation.Coordination.Hosting;
using Federation.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

// The aggregator as its own process, configured the .NET way: appsettings.json, then
// environment variables (Aggregator__DataDirectory, Bus__Kind, ...), then the command line.
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection(AggregatorOptions.Section).Get<AggregatorOptions>() ?? new AggregatorOptions();
var api = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
builder.Services.AddFederationBus(builder.Configuration, bus => bus.AddAggregatorConsumers());
builder.Services.AddAggregator(options);
builder.Services.AddAggregatorApi(api);

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapAggregatorApi();
await app.RunAsync();
