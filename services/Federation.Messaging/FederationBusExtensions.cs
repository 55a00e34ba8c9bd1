using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Federation.Messaging;

/// <summary>Wires MassTransit the same way for every Federation host, whatever the transport.</summary>
public static class FederationBusExtensions
{
    /// <summary>
    /// Adds the message bus with the consumers a host registers. The same consumers run on every
    /// transport; only the transport is chosen from configuration (<c>Bus:Kind</c>).
    /// </summary>
    /// <remarks>
    /// On <c>RabbitMQ</c> (settings under <c>Bus:RabbitMQ</c>, see <see cref="RabbitMqBusOptions"/>) the
    /// host signs in as its own broker user; receive endpoints are quorum queues; messages go to
    /// the exchanges named in <see cref="FederationEntityNames"/> with publisher confirms; consumers
    /// retry with exponential backoff and then leave the message in the endpoint's <c>_error</c>
    /// queue. Starting the host fails within <see cref="RabbitMqBusOptions.ConnectTimeout"/> if the
    /// broker cannot be reached, refuses the user or has no such virtual host, and within
    /// <see cref="RabbitMqBusOptions.StartTimeout"/> if it refuses the user one of the host's
    /// endpoints, each time with a message naming the setting to fix.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// The configured <c>Bus:Kind</c> is not supported, or a <c>Bus:RabbitMQ</c> setting is invalid.
    /// </exception>
    public static IServiceCollection AddFederationBus(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator> addConsumers)
    {
        var options = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        var kind = BusKinds.Supported.FirstOrDefault(supported => string.Equals(supported, options.Kind, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException(
                $"Setting {BusOptions.Section}:Kind is '{options.Kind}', which is not a supported transport; " +
                $"use one of: {string.Join(", ", BusKinds.Supported)}.");

        if (kind == BusKinds.RabbitMQ)
        {
            options.RabbitMQ.Validate();

            // Registered before MassTransit's hosted service, so it runs first: hosted services
            // start one after another in registration order.
            services.AddHostedService(provider => new RabbitMqConnectionCheck(options.RabbitMQ, provider.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RabbitMqConnectionCheck>>()));
        }

        services.AddMassTransit(bus =>
        {
            // MassTransit reports usage to its vendor over the internet by default. A gateway sits
            // in a factory network and must talk to nothing but its broker.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            addConsumers(bus);
            if (kind == BusKinds.RabbitMQ)
            {
                bus.UsingFederationRabbitMq(options.RabbitMQ);
            }
            else
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
        });

        // Without this, messages published while the bus is still starting are silently lost.
        services.Configure<MassTransitHostOptions>(host => host.WaitUntilStarted = true);
        if (kind == BusKinds.RabbitMQ)
        {
            services.Configure<MassTransitHostOptions>(host => host.StartTimeout = options.RabbitMQ.StartTimeout);
            ExplainEndpointRefusals(services, options.RabbitMQ);
        }

        return services;
    }

    /// <summary>Puts <see cref="RabbitMqBusStartup"/> around MassTransit's hosted service, in its place in the start order.</summary>
    private static void ExplainEndpointRefusals(IServiceCollection services, RabbitMqBusOptions options)
    {
        for (var index = 0; index < services.Count; index++)
        {
            if (services[index].ServiceType == typeof(IHostedService) && services[index].ImplementationType == typeof(MassTransitHostedService))
            {
                services[index] = ServiceDescriptor.Singleton<IHostedService>(provider =>
                    new RabbitMqBusStartup(ActivatorUtilities.CreateInstance<MassTransitHostedService>(provider), options));
            }
        }
    }
}
