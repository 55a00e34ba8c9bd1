using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Messaging.Tests;

/// <summary>
/// One Federation host on the RabbitMQ transport, wired exactly as the hosts wire it
/// (<see cref="FederationBusExtensions.AddFederationBus"/> from configuration), signed in as one broker user.
/// </summary>
public sealed class BusHost : IAsyncDisposable
{
    private readonly IHost host;

    private BusHost(IHost host) => this.host = host;

    public IServiceProvider Services => host.Services;

    public IBus Bus => host.Services.GetRequiredService<IBus>();

    /// <summary>The configuration a host reads, as environment variables would give it.</summary>
    public static Dictionary<string, string?> Settings(string user, string? password = null) => new()
    {
        ["Bus:Kind"] = "RabbitMQ",
        ["Bus:RabbitMQ:Host"] = Broker.Host,
        ["Bus:RabbitMQ:Port"] = Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:RabbitMQ:VirtualHost"] = Broker.VirtualHost,
        ["Bus:RabbitMQ:Username"] = user,
        ["Bus:RabbitMQ:Password"] = password ?? Broker.PasswordOf(user),
    };

    public static IHost Build(
        IDictionary<string, string?> settings,
        Action<IBusRegistrationConfigurator> addConsumers,
        Action<IServiceCollection>? addServices = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        addServices?.Invoke(builder.Services);
        builder.Services.AddFederationBus(builder.Configuration, addConsumers);
        return builder.Build();
    }

    public static async Task<BusHost> StartAsync(
        string user,
        Action<IBusRegistrationConfigurator> addConsumers,
        Action<IServiceCollection>? addServices = null)
    {
        var host = Build(Settings(user), addConsumers, addServices);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new BusHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
