using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Messages;
using Federation.Coordination.Rounds;
using MassTransit;

namespace Federation.Coordination.Contributions;

/// <summary>Hands received contributions to the round coordinator of their task (<see cref="TaskRounds"/>).</summary>
public sealed class ContributionSubmittedConsumer(TaskRounds rounds) : IConsumer<ContributionSubmitted>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ContributionSubmitted> context) => rounds.SubmitAsync(context.Message, context.MessageId, context.CancellationToken);
}

/// <summary>
/// Bad contributions never throw (they are recorded as rejections), so a failure here is the
/// infrastructure's: retry with backoff before the message goes to the error queue. A contribution
/// whose payload is still being uploaded (or assembled from chunks) does not fail: the coordinator waits for
/// it (Aggregator:Payloads:WaitSeconds, default 10 minutes, well inside RabbitMQ's 30-minute
/// delivery acknowledgement timeout), holding one of the two concurrent slots, so this retry policy
/// never has to outlast hashing a large payload.
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
