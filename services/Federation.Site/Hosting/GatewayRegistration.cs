using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.Models;
using Federation.Site.Outbox;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Federation.Site.Hosting;

/// <summary>Adds gateways to a host.</summary>
public static class GatewayRegistration
{
    /// <summary>
    /// Adds the gateways that run in this process (one in production, several in the demo), each with its own state,
    /// and the outbox sender that publishes what their policies let out.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="gateways">The gateways.</param>
    /// <param name="retry">How the sender retries when the bus fails; defaults when null.</param>
    /// <param name="modelSource">
    /// Where each gateway downloads announced models from (<see cref="HttpModelSource"/> for a gateway process); null
    /// leaves the gateways unable to fetch a model, and each announcement naming one is skipped with that reason.
    /// </param>
    /// <param name="payloadDestination">
    /// Where each gateway uploads updates too large for one message (<see cref="HttpPayloadDestination"/> for a gateway
    /// process); null leaves such updates in the outbox, each attempt saying why.
    /// </param>
    public static IServiceCollection AddGateways(
        this IServiceCollection services,
        IEnumerable<GatewayNode> gateways,
        OutboxRetryOptions? retry = null,
        Func<IServiceProvider, GatewayNode, IModelSource>? modelSource = null,
        Func<IServiceProvider, GatewayNode, IPayloadDestination>? payloadDestination = null)
    {
        services.TryAddSingleton(provider => new GatewayModelFiles(modelSource is null ? null : gateway => modelSource(provider, gateway)));
        services.TryAddSingleton(provider => new GatewayPayloadDestinations(payloadDestination is null ? null : gateway => payloadDestination(provider, gateway)));
        foreach (var gateway in gateways)
        {
            services.AddSingleton(gateway);
        }

        services.TryAddSingleton(retry ?? new OutboxRetryOptions());
        services.TryAddSingleton<IOutboxPublisher, BusOutboxPublisher>();
        services.AddHostedService<OutboxSender>();
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
