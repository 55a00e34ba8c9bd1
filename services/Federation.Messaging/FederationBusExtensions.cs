using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Messaging;

/// <summary>Wires MassTransit the same way for every Federation host, whatever the transport.</summary>
public static class FederationBusExtensions
{
    /// <summary>
    /// Adds the message bus with the consumers a host registers. The same consumers run on every
    /// transport; only the transport is chosen from configuration.
    /// </summary>
    /// <exception cref="InvalidOperationException">The configured <c>Bus:Kind</c> is not supported.</exception>
    public static IServiceCollection AddFederationBus(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator> addConsumers)
    {
        var options = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (!BusKinds.Supported.Contains(options.Kind, StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Setting {BusOptions.Section}:Kind is '{options.Kind}', which is not a supported transport; " +
                $"use one of: {string.Join(", ", BusKinds.Supported)}.");
        }

        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            addConsumers(bus);
            bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
        });

        // Without this, messages published while the bus is still starting are silently lost.
        services.Configure<MassTransitHostOptions>(host => host.WaitUntilStarted = true);
        return services;
    }
}
