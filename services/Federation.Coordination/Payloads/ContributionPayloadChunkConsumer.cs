using Federation.Contracts.Messages;
using MassTransit;

namespace Federation.Coordination.Payloads;

/// <summary>Hands received payload chunks to the <see cref="PayloadAssembly"/>.</summary>
public sealed class ContributionPayloadChunkConsumer(PayloadAssembly assembly) : IConsumer<ContributionPayloadChunk>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ContributionPayloadChunk> context) => assembly.AddAsync(context.Message, context.CancellationToken);
}

/// <summary>
/// Chunks are written one at a time (the assembly serializes them anyway), and few are fetched ahead, because every
/// prefetched chunk is held in memory: with 4 MiB chunks, a prefetch of 4 bounds the chunks in the aggregator's memory
/// to about 16 MiB of payload (plus their JSON form) whatever the payload's size.
/// Bad chunks never throw (the transfer is dropped and the reason kept for the contribution's rejection); a failure
/// here is the disk's: retry with backoff, then the message goes to the error queue.
/// </summary>
public sealed class ContributionPayloadChunkConsumerDefinition : ConsumerDefinition<ContributionPayloadChunkConsumer>
{
    /// <summary>The endpoint's queue.</summary>
    public const string QueueName = "aggregator-payload-chunks";

    /// <summary>Names the endpoint and bounds concurrency and prefetch.</summary>
    public ContributionPayloadChunkConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 1;
        Endpoint(endpoint => endpoint.PrefetchCount = 4);
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ContributionPayloadChunkConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
    }
}
