using MassTransit;
using Messages = Federation.Contracts.Messages;

namespace Federation.Messaging;

/// <summary>
/// The broker exchange each message is published to. Pinned here rather than derived from the CLR
/// type name (MassTransit's default, e.g. <c>Federation.Contracts.Messages:ContributionSubmitted</c>),
/// so that renaming a namespace cannot silently change the broker topology, and the per-user
/// permissions in <c>ops/rabbitmq</c> can name each exchange exactly.
/// </summary>
public static class FederationEntityNames
{
    /// <summary>Exchange of <see cref="Messages.RoundAnnounced"/>: written by the aggregator, read by gateways.</summary>
    public const string RoundAnnounced = "federation.round-announced";

    /// <summary>Exchange of <see cref="Messages.ModelPublished"/>: written by the aggregator, read by gateways.</summary>
    public const string ModelPublished = "federation.model-published";

    /// <summary>Exchange of <see cref="Messages.RoundAnnouncedV2"/>: written by the aggregator, read by gateways.</summary>
    public const string RoundAnnouncedV2 = "federation.round-announced.v2";

    /// <summary>Exchange of <see cref="Messages.ModelPublishedV2"/>: written by the aggregator, read by gateways.</summary>
    public const string ModelPublishedV2 = "federation.model-published.v2";

    /// <summary>Exchange of <see cref="Messages.ModelReleased"/>: written by the aggregator, read by gateways.</summary>
    public const string ModelReleased = "federation.model-released";

    /// <summary>Exchange of <see cref="Messages.ContributionSubmitted"/>: written by gateways, read by the aggregator.</summary>
    public const string ContributionSubmitted = "federation.contribution-submitted";

    /// <summary>Exchange of <see cref="Messages.ContributionPayloadChunk"/>: written by gateways, read by the aggregator.</summary>
    public const string ContributionPayloadChunk = "federation.contribution-payload-chunk";

    /// <summary>Exchange of <see cref="Messages.EvaluationReported"/>: written by gateways, read by the aggregator.</summary>
    public const string EvaluationReported = "federation.evaluation-reported";

    /// <summary>Every wire message type and its exchange.</summary>
    public static IReadOnlyDictionary<Type, string> ByMessageType { get; } = new Dictionary<Type, string>
    {
        [typeof(Messages.RoundAnnounced)] = RoundAnnounced,
        [typeof(Messages.ModelPublished)] = ModelPublished,
        [typeof(Messages.RoundAnnouncedV2)] = RoundAnnouncedV2,
        [typeof(Messages.ModelPublishedV2)] = ModelPublishedV2,
        [typeof(Messages.ModelReleased)] = ModelReleased,
        [typeof(Messages.ContributionSubmitted)] = ContributionSubmitted,
        [typeof(Messages.ContributionPayloadChunk)] = ContributionPayloadChunk,
        [typeof(Messages.EvaluationReported)] = EvaluationReported,
    };

    internal static void Apply(IBusFactoryConfigurator bus)
    {
        bus.Message<Messages.RoundAnnounced>(topology => topology.SetEntityName(RoundAnnounced));
        bus.Message<Messages.ModelPublished>(topology => topology.SetEntityName(ModelPublished));
        bus.Message<Messages.RoundAnnouncedV2>(topology => topology.SetEntityName(RoundAnnouncedV2));
        bus.Message<Messages.ModelPublishedV2>(topology => topology.SetEntityName(ModelPublishedV2));
        bus.Message<Messages.ModelReleased>(topology => topology.SetEntityName(ModelReleased));
        bus.Message<Messages.ContributionSubmitted>(topology => topology.SetEntityName(ContributionSubmitted));
        bus.Message<Messages.ContributionPayloadChunk>(topology => topology.SetEntityName(ContributionPayloadChunk));
        bus.Message<Messages.EvaluationReported>(topology => topology.SetEntityName(EvaluationReported));
    }
}
