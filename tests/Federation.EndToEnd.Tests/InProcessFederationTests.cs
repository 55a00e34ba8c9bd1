using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Rounds;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using Federation.Trust;
using Federation.Vault.Datasets;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Federation.EndToEnd.Tests;

public sealed class InProcessFederationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_rounds_improve_the_model_record_every_contribution_and_reject_the_tampered_and_the_forged()
    {
        // Given three honest factories with non-IID data, and two enrolled gateways that cheat
        var sites = SiteSplit.Split(FashionMnistSample.Training, 3, alpha: 0.5, seed: 7);
        var honest = sites.Select((data, index) => TestGateways.Create($"factory-{index + 1}", data)).ToList();
        var adversaries = new Adversaries(
            TestGateways.Create("factory-4", sites[0]),
            TestGateways.Create("factory-5", sites[1]),
            Ed25519KeyPair.Generate());
        var wiretap = new ContributionWiretap();
        // Deadlines leave room for DP-SGD training on a loaded two-core machine: every cheat must arrive in time.
        var plan = new RoundPlan { Count = 2, MinParticipants = 3, Duration = TimeSpan.FromSeconds(12), BatchSize = 32, LearningRate = 0.05 };

        // When two rounds run
        List<IFederationEvent> events;
        TensorSet initial, final;
        await using (var federation = await InProcessFederation.StartAsync(
            honest, [adversaries.Tamperer, adversaries.Forger], plan,
            bus =>
            {
                bus.AddConsumer<AdversaryConsumer>().Endpoint(endpoint => endpoint.Name = "adversaries");
                bus.AddConsumer<ContributionWiretap>().Endpoint(endpoint => endpoint.Name = "wiretap");
            },
            services => services.AddSingleton(adversaries).AddSingleton(wiretap)))
        {
            await federation.CompletionAsync(TimeSpan.FromMinutes(2));
            events = await federation.EventsAsync();
            var published = events.OfType<ModelVersionPublished>().ToList();
            initial = await federation.ModelAsync(published.First());
            final = await federation.ModelAsync(published.Last());
        }

        // Then every contribution on the bus is an event, accepted or rejected
        var accepted = events.OfType<ContributionAccepted>().ToList();
        var rejected = events.OfType<ContributionRejected>().ToList();
        wiretap.Count.ShouldBe(11);
        (accepted.Count + rejected.Count).ShouldBe(wiretap.Count);

        // and each round accepted the honest three and rejected each cheat with its own reason
        foreach (var round in new[] { 1, 2 })
        {
            accepted.Where(contribution => contribution.Round == round).Select(contribution => contribution.GatewayId).Order()
                .ShouldBe(["factory-1", "factory-2", "factory-3"]);
            rejected.Single(rejection => rejection.Round == round && rejection.GatewayId == "factory-4").Reason
                .ShouldBe(RejectionReason.PayloadHashMismatch);
            rejected.Single(rejection => rejection.Round == round && rejection.GatewayId == "factory-5").Reason
                .ShouldBe(RejectionReason.BadSignature);
            events.OfType<RoundClosed>().Single(closed => closed.Round == round).Outcome.ShouldBe(RoundOutcome.DeadlinePassed);
        }

        rejected.Single(rejection => rejection.Round is null).Reason.ShouldBe(RejectionReason.MalformedManifest);

        // and each new version lists exactly the honest contributions it used
        var models = events.OfType<ModelVersionPublished>().ToList();
        models.Select(model => model.Version).ShouldBe([0, 1, 2]);
        models.Last().Contributions.Select(used => used.GatewayId).Order().ShouldBe(["factory-1", "factory-2", "factory-3"]);

        // and the federated model beats the initial one on test images no factory holds
        var spec = ModelSpec.FromParameters(final);
        var before = Evaluator.Evaluate(spec, initial, FashionMnistSample.Test).Accuracy;
        var after = Evaluator.Evaluate(spec, final, FashionMnistSample.Test).Accuracy;
        output.WriteLine($"test accuracy: initial {before:P2}, after 2 rounds {after:P2}");
        after.ShouldBeGreaterThan(before + 0.3);
    }
}
