using MassTransit;

namespace Federation.Messaging;

/// <summary>The RabbitMQ side of <see cref="FederationBusExtensions.AddFederationBus"/>.</summary>
internal static class RabbitMqTransport
{
    /// <summary>
    /// Retries for consumers whose definitions set none: a few quick attempts with exponential
    /// backoff ride out a brief outage (a locked database, a broker fail-over), then the message
    /// moves to the endpoint's <c>_error</c> queue for an operator. A definition's own retry
    /// (the aggregator's contributions) runs inside this one and wins: once it gives up, this one
    /// does not start over.
    /// </summary>
    internal static void UseDefaultRetry(IRetryConfigurator retry) =>
        retry.Exponential(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300));

    internal static void UsingFederationRabbitMq(this IBusRegistrationConfigurator bus, RabbitMqBusOptions options)
    {
        bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
        {
            // Durable, replicated queues: announcements wait for a gateway that is offline, and
            // contributions survive a broker restart. (Quorum queues are always durable.)
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.SetQuorumQueue();
            }

            // Nobody consumes Fault<T>; publishing it would need write access to one more exchange
            // per message type. A faulted message is kept in the endpoint's _error queue instead.
            endpoint.PublishFaults = false;
        });

        bus.UsingRabbitMq((context, transport) =>
        {
            transport.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
            {
                host.Username(options.Username);
                host.Password(options.Password);
                host.PublisherConfirmation = true;
                host.RequestedConnectionTimeout(options.ConnectTimeout);
                host.ConnectionName($"federation {options.Username} ({Environment.MachineName})");
            });

            // MassTransit names the bus endpoint's queue after machine and process plus a random
            // part; a fixed name lets the broker permissions name it exactly.
            transport.OverrideDefaultBusEndpointQueueName(options.BusQueueName);
            FederationEntityNames.Apply(transport);
            transport.UseMessageRetry(UseDefaultRetry);
            transport.ConfigureEndpoints(context);
        });
    }
}
