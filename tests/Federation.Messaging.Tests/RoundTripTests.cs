using Federation.Contracts.Messages;
using MassTransit;

namespace Federation.Messaging.Tests;

/// <summary>Each wire contract goes from its real sender's user to its real receivers' endpoints over RabbitMQ.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RoundTripTests(BrokerFederation federation) : IClassFixture<BrokerFederation>
{
    [Fact]
    public async Task Round_announced_by_the_aggregator_reaches_every_gateway_with_its_1MB_base_model()
    {
        var sent = Samples.Round(Samples.UniqueNumber());

        await federation.Aggregator.Bus.Publish(sent);

        foreach (var gateway in federation.Rounds.Keys)
        {
            var received = await federation.Rounds[gateway].WaitForAsync(round => round.Round == sent.Round);
            received.Message.ShouldEqualMessage(sent);
            received.Message.BaseModel.Length.ShouldBe(Samples.Megabyte);
            received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.RoundsQueue(gateway));
        }
    }

    [Fact]
    public async Task Model_published_by_the_aggregator_reaches_every_gateway_with_its_1MB_model()
    {
        var sent = Samples.Model(Samples.UniqueNumber());

        await federation.Aggregator.Bus.Publish(sent);

        foreach (var gateway in federation.Models.Keys)
        {
            var received = await federation.Models[gateway].WaitForAsync(model => model.Version == sent.Version);
            received.Message.ShouldEqualMessage(sent);
            received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.ModelsQueue(gateway));
        }
    }

    [Fact]
    public async Task A_v2_round_announcement_names_its_task_and_a_1GB_base_model_by_hash_and_reaches_every_gateway()
    {
        var sent = Samples.RoundV2(Samples.UniqueNumber());

        await federation.Aggregator.Bus.Publish(sent);

        foreach (var gateway in federation.RoundsV2.Keys)
        {
            var received = await federation.RoundsV2[gateway].WaitForAsync(round => round.Round == sent.Round);
            received.Message.ShouldEqualMessage(sent);
            received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.RoundsQueue(gateway));
            received.ReceiveContext.Body.GetBytes().Length.ShouldBeLessThan(4096, "the model travels by HTTP, not in the message");
        }
    }

    [Fact]
    public async Task A_v2_model_publication_names_its_task_and_reaches_every_gateway()
    {
        var sent = Samples.ModelV2(Samples.UniqueNumber());

        await federation.Aggregator.Bus.Publish(sent);

        foreach (var gateway in federation.ModelsV2.Keys)
        {
            var received = await federation.ModelsV2[gateway].WaitForAsync(model => model.Version == sent.Version);
            received.Message.ShouldEqualMessage(sent);
            received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.ModelsQueue(gateway));
        }
    }

    [Fact]
    public async Task Contribution_submitted_by_a_gateway_reaches_the_aggregator_with_its_1MB_payload()
    {
        var sent = Samples.Contribution(Guid.NewGuid().ToString("N"));

        await federation.Gateways[BrokerFederation.Gateway1].Bus.Publish(sent);

        var received = await federation.Contributions.WaitForAsync(contribution => contribution.Manifest == sent.Manifest);
        received.Message.ShouldEqualMessage(sent);
        received.Message.Payload.Length.ShouldBe(Samples.Megabyte);
        received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.ContributionsQueue);
    }

    [Fact]
    public async Task Evaluation_reported_by_a_gateway_reaches_the_aggregator()
    {
        var sent = Samples.Evaluation(Guid.NewGuid().ToString("N"));

        await federation.Gateways[BrokerFederation.Gateway2].Bus.Publish(sent);

        var received = await federation.Evaluations.WaitForAsync(evaluation => evaluation.Report == sent.Report);
        received.Message.ShouldEqualMessage(sent);
        received.ReceiveContext.InputAddress!.AbsolutePath.ShouldEndWith(BrokerFederation.EvaluationsQueue);
    }

    [Fact]
    public async Task Messages_carry_their_pinned_urn_and_travel_through_the_pinned_exchange()
    {
        var sent = Samples.Evaluation(Guid.NewGuid().ToString("N"));

        await federation.Gateways[BrokerFederation.Gateway1].Bus.Publish(sent);

        var received = await federation.Evaluations.WaitForAsync(evaluation => evaluation.Report == sent.Report);
        received.SupportedMessageTypes.ShouldContain("urn:message:federation:evaluation-reported:v1");
        received.ReceiveContext.TryGetPayload(out RabbitMqBasicConsumeContext? delivery).ShouldBeTrue();
        delivery!.Exchange.ShouldBe(FederationEntityNames.EvaluationReported);
    }
}
