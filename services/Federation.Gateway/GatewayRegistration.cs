using Federation.Gateway.Evaluation;
using Federation.Gateway.Training;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Gateway;

/// <summary>Adds gateways to a host.</summary>
public static class GatewayRegistration
{
    /// <summary>Adds the gateways that run in this process (one in production, several in the demo).</summary>
    public static IServiceCollection AddGateways(this IServiceCollection services, IEnumerable<GatewayNode> gateways)
    {
        foreach (var gateway in gateways)
        {
            services.AddSingleton(gateway);
        }

        return services;
    }

    /// <summary>
    /// Registers the gateway consumers on the bus. Each gateway process needs its own endpoint,
    /// so that every site receives its own copy of each announcement.
    /// </summary>
    public static IBusRegistrationConfigurator AddGatewayConsumers(this IBusRegistrationConfigurator bus, string endpointName)
    {
        bus.AddConsumer<RoundAnnouncedConsumer>().Endpoint(endpoint => endpoint.Name = $"{endpointName}-rounds");
        bus.AddConsumer<ModelPublishedConsumer>().Endpoint(endpoint => endpoint.Name = $"{endpointName}-models");
        return bus;
    }
}
