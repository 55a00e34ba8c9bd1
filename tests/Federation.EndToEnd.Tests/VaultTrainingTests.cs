using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Coordination.Models;
using Federation.Coordination.Rounds;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Training;
using Federation.Site.Training;
using Federation.Vault.PressFit;
using Federation.Vault;
using Xunit.Abstractions;

namespace Federation.EndToEnd.Tests;

/// <summary>Factories train the second real task, press-fit curves, from their own vaults, through the whole federation.</summary>
public sealed class VaultTrainingTests(ITestOutputHelper output)
{
    private static readonly ModelSpec Spec = ModelSpec.LogisticRegression(PressFitFeatures.Count, 2);

    [Fact]
    public async Task Three_factories_train_the_press_fit_model_from_their_vaults_and_it_beats_always_answering_good()
    {
        // Given three factories, each with 300 labelled press-fit curves of its own in its vault
        var gateways = Enumerable.Range(1, 3).Select(site =>
        {
            var id = $"factory-{site}";
            var folder = TestGateways.NewFolder(id);
            PressFitFiles.Write(Path.Combine(folder, "incoming"), count: 300, seed: site, faultyShare: 0.3);
            var vault = VaultStore.Open(Path.Combine(folder, "state"));
            new VaultImporter(vault).ImportAll(VaultKind.Force, [Path.Combine(folder, "incoming")]);
            // Fixed keys fix the DP-SGD noise seeds, so the run and its accuracy are reproducible.
            var key = Trust.Ed25519KeyPair.FromSeed([.. Enumerable.Repeat((byte)site, 32)]);
            return TestGateways.Create(id, new VaultPressFitTrainer(vault), Spec, key);
        }).ToList();
        var plan = new RoundPlan { Count = 2, MinParticipants = 3, Duration = TimeSpan.FromSeconds(30), Epochs = 3, BatchSize = 16, LearningRate = 2.0 };
        // A logistic regression (130 parameters) rather than the task's MLP (1,090): with 300 curves a site, DP-SGD's noise
        // per parameter at the policy's z = 1 leaves the smaller model far more signal in two rounds.
        var model = new ModelOptions { Kind = ModelKind.LogisticRegression, Inputs = PressFitFeatures.Count, Classes = 2 };

        // When two rounds run (a third would exceed the demo policy's ε = 8 budget)
        List<IFederationEvent> events;
        Learning.Tensors.TensorSet final;
        await using (var federation = await InProcessFederation.StartAsync(gateways, [], plan, model: model))
        {
            await federation.CompletionAsync(TimeSpan.FromMinutes(3));
            events = await federation.EventsAsync();
            final = await federation.ModelAsync(events.OfType<ModelVersionPublished>().Last());
        }

        // Then every round took all three vault-trained updates, and the model tells faulty from good on curves no factory has
        events.OfType<ContributionAccepted>().Count().ShouldBe(6);
        events.OfType<ContributionRejected>().ShouldBeEmpty();
        var test = Curves(PressFitGenerator.Generate(400, seed: 99, faultyShare: 0.3));
        double good = test.Labels.Count(label => label == 0) / (double)test.Count;
        var accuracy = Evaluator.Evaluate(Spec, final, test).Accuracy;
        output.WriteLine($"press-fit accuracy after 2 rounds: {accuracy:P1} (always 'good': {good:P1})");
        accuracy.ShouldBeGreaterThan(good + 0.05);
    }

    private static Dataset Curves(IReadOnlyList<PressFitCurve> curves)
    {
        var features = curves.SelectMany(curve => PressFitFeatures.From(curve.TimeSeconds, curve.ForceNewtons)).ToArray();
        var labels = curves.Select(curve => curve.Fault == PressFitFault.None ? (byte)0 : (byte)1).ToArray();
        return new Dataset(features, labels, PressFitFeatures.Count, 2);
    }
}
