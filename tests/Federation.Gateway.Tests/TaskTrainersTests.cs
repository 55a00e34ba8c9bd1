using Federation.Contracts.Messages;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.Training;
using Federation.Trust;
using Federation.Vault;
using Federation.Vault.PressFit;

namespace Federation.Gateway.Tests;

/// <summary>A factory in a photo task and a press-fit task trains each round with that task's own trainer and data.</summary>
public sealed class TaskTrainersTests : IDisposable
{
    private static readonly TensorSet PhotoModel = ModelSpec.LogisticRegression(784, 2).Initialize(1);
    private static readonly TensorSet PressFitModelV0 = PressFitModel.Spec.Initialize(1);
    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void Each_announced_task_is_trained_by_its_own_trainer_on_its_own_vault_data()
    {
        // Given a vault holding both photos and force curves (one of them labelled scrap), Gateway:Training on the photos and press-fit's own trainer on the curves
        PhotoTrainingTests.ImportPhotos(vault, 60);
        var folder = Path.Combine(vault.Incoming, "press");
        PressFitFiles.Write(folder, count: 40, seed: 2, faultyShare: 0.5);
        vault.Importer.ImportAll(VaultKind.Force, [folder]);
        vault.Import(VaultKind.Force, vault.Write("scrap.csv", PressFitGenerator.Generate(1, seed: 9, faultyShare: 0).Single().ToCsv()), "scrap");
        var node = Node();
        var photos = node.Trainers.For("weld-photos").ShouldBeOfType<VaultPhotoTrainer>();
        var pressFit = node.Trainers.For("press-fit").ShouldBeOfType<VaultPressFitTrainer>();

        // When a round of each task is announced
        var photoRound = node.Contribute(Site.Round(1, PhotoModel), "weld-photos");
        var pressFitRound = node.Contribute(Site.Round(1, PressFitModelV0), "press-fit");

        // Then both leave, each trained on its own kind of data, and the record says which trainer ran
        photoRound.Allowed.ShouldBeTrue(photoRound.Reason);
        pressFitRound.Allowed.ShouldBeTrue(pressFitRound.Reason);
        Site.Manifest(photoRound.Message!).SampleCount.ShouldBe(photos.Read(ModelSpec.FromParameters(PhotoModel)).Training.Count);
        Site.Manifest(pressFitRound.Message!).SampleCount.ShouldBe(pressFit.Read(PressFitModel.Spec).Training.Count);
        var checks = node.State.Decisions().ToDictionary(decision => decision.Subject, decision => decision.Checks[0]);
        checks["task weld-photos round 1"].Name.ShouldBe(LocalTraining.TrainingCheck);
        checks["task weld-photos round 1"].Detail.ShouldStartWith("trainer vault-photos: ");
        checks["task weld-photos round 1"].Detail.ShouldContain("of kind photos");
        checks["task press-fit round 1"].Detail.ShouldStartWith("trainer vault-press-fit: ");
        checks["task press-fit round 1"].Detail.ShouldContain("of kind force");
        checks["task press-fit round 1"].Detail.ShouldContain("1 with a label not in Gateway:Tasks:press-fit:Training:Labels", Case.Sensitive, "its reasons name the task's own settings");
    }

    [Fact]
    public void A_task_without_its_own_trainer_is_trained_by_the_gateway_trainer_and_refused_when_its_model_does_not_fit()
    {
        // A press-fit model announced under weld-photos goes to the photo trainer, which cannot train it.
        PhotoTrainingTests.ImportPhotos(vault, 4);
        var node = Node();

        var result = node.Contribute(Site.Round(1, PressFitModelV0), "weld-photos");

        result.Allowed.ShouldBeFalse();
        result.Reason.ShouldBe("the announced model takes 64 inputs; vault-photos makes 784 features per sample");
    }

    [Fact]
    public void A_published_model_is_evaluated_on_the_held_out_data_of_its_task()
    {
        var folder = Path.Combine(vault.Incoming, "press");
        PressFitFiles.Write(folder, count: 120, seed: 3, faultyShare: 0.5);
        vault.Importer.ImportAll(VaultKind.Force, [folder]);
        var node = Node();
        var bytes = SafeTensors.Write(PressFitModelV0);

        var result = node.Evaluate(new ModelPublishedV2("press-fit", 1, new ModelReference(Sha256Hex.Of(bytes), bytes.Length), 1), PressFitModelV0);

        // Computed over press-fit's held-out curves (below the policy's 50 per metric, so refused by the policy, not the data).
        var heldOut = node.Trainers.For("press-fit").ShouldBeOfType<VaultPressFitTrainer>().Read(PressFitModel.Spec).Holdout.Count;
        heldOut.ShouldBeGreaterThan(0);
        result.Reason.ShouldNotBeNull().ShouldContain($"computed over {heldOut} samples");
    }

    /// <summary>A gateway configured as a factory would: Gateway:Training on photos (top, left), Gateway:Tasks:press-fit:Training on force curves.</summary>
    private GatewayNode Node()
    {
        var options = TrainingOptionsTests.Bind(new()
        {
            ["Gateway:Training:Source"] = "vault-photos",
            ["Gateway:Training:Labels:0"] = "top",
            ["Gateway:Training:Labels:1"] = "left",
            ["Gateway:Tasks:press-fit:Training:Source"] = "vault-press-fit",
        });
        options.Validate();
        var policy = Site.PolicyWithTasks(PhotoModel, 20, ("weld-photos", PhotoModel), ("press-fit", PressFitModelV0));
        return site.Node(options.CreateTrainers(vault.Store), policy);
    }
}
