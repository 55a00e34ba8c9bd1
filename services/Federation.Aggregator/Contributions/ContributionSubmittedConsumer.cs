using Federation.Aggregator.Rounds;
using Federation.Contracts.Messages;
using MassTransit;

namespace Federation.Aggregator.Contributions;

/// <summary>Hands received contributions to the <see cref="RoundCoordinator"/>.</summary>
public sealed class ContributionSubmittedConsumer(RoundCoordinator coordinator) : IConsumer<ContributionSubmitted>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ContributionSubmitted> context) => coordinator.SubmitAsync(context.Message, context.MessageId, context.CancellationToken);
}

/// <summary>
/// Bad contributions never throw (they are recorded as rejections), so a failure here is the
/// infrastructure's: retry with backoff before the message goes to the error queue.
/// </summary>
public sealed class ContributionSubmittedConsumerDefinition : ConsumerDefinition<ContributionSubmittedConsumer>
{
    /// <summary>Names the endpoint and bounds concurrency.</summary>
    public ContributionSubmittedConsumerDefinition()
    {
        EndpointName = "aggregator-contributions";
        ConcurrentMessageLimit = 2;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ContributionSubmittedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
    }
}
