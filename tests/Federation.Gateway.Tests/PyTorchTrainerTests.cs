using System.Diagnostics;
using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.Training;
using Federation.Trust;
using Federation.Vault;

namespace Federation.Gateway.Tests;

/// <summary>
/// The reference PyTorch trainer (trainers/pytorch/photo_cnn.py, run by Debian's python3-torch) as a factory runs it:
/// the model team makes version 0 of its own network with <c>--init</c>; the gateway trains it on vault photos and
/// evaluates published versions with the program's evaluate mode, checking both outputs as it checks any trainer's.
/// </summary>
public sealed class PyTorchTrainerTests : IDisposable
{
    private static readonly string[] Classes = ["top", "left"];
    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public PyTorchTrainerTests() => PhotoTrainingTests.ImportPhotos(vault, 200);

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void A_cnn_made_by_photo_cnn_init_is_trained_on_vault_photos_and_leaves_as_a_noised_update_of_its_own_layout()
    {
        // Given version 0 of the model team's CNN, which is none of the built-in layouts
        var model = InitialModel();
        ModelSpec.TryFromParameters(model, out var reason).ShouldBeNull();
        reason.ShouldNotBeNull();
        var node = site.Node(Trainer(), model);

        // When a round of it is announced
        var result = node.Contribute(Site.Round(1, model));

        // Then photo_cnn.py trained on the photos not held out, and the update has the CNN's names and shapes
        result.Allowed.ShouldBeTrue(result.Reason);
        var manifest = Site.Manifest(result.Message!);
        int trainedOn = vault.Store.Entries(VaultKind.Photos).Count(entry => !VaultHoldout.IsHeldOut(entry.Sha256, 0.3));
        manifest.SampleCount.ShouldBe(trainedOn);
        node.State.Decisions().Single().Checks[0].Detail.ShouldContain($"stderr: trained on {trainedOn} photos");
        SafeTensors.Read(result.Message!.Payload).DescribeLayoutDifference(model).ShouldBeNull();
    }

    [Fact]
    public void A_published_cnn_is_evaluated_by_the_programs_evaluate_mode_and_its_metrics_are_released_under_the_policy()
    {
        // Given a published version of the CNN
        var model = InitialModel();
        var bytes = SafeTensors.Write(model);
        var node = site.Node(Trainer(), model);
        int heldOut = vault.Store.Entries(VaultKind.Photos).Count(entry => VaultHoldout.IsHeldOut(entry.Sha256, 0.3));
        heldOut.ShouldBeGreaterThanOrEqualTo(50); // the policy releases a metric over 50 samples or more

        // When the gateway evaluates it
        var result = node.Evaluate(new ModelPublished(1, Sha256Hex.Of(bytes), 1, bytes));

        // Then the report holds the program's accuracy and loss over every held-out photo
        result.Allowed.ShouldBeTrue(result.Reason);
        var report = System.Text.Json.JsonSerializer.Deserialize<EvaluationReport>(result.Message!.Report, FederationJson.Options)!;
        var accuracy = report.Metrics.Single(metric => metric.Name == "accuracy" && metric.Slice is null);
        accuracy.SampleCount.ShouldBe(heldOut);
        accuracy.Value.ShouldBeInRange(0, 1);
        report.Metrics.ShouldContain(metric => metric.Name == "loss" && metric.Slice == null && metric.SampleCount == heldOut);
        Directory.EnumerateFileSystemEntries(Path.Combine(site.Folder, "work")).ShouldBeEmpty(); // the run's files are gone
    }

    [Fact]
    public void A_built_in_trainer_given_a_model_of_another_layout_refuses_and_names_the_external_trainer()
    {
        var model = InitialModel();
        var node = site.Node(new VaultPhotoTrainer(vault.Store, Classes), model);

        var result = node.Contribute(Site.Round(1, model));

        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain("is not one of the built-in layouts");
        result.Reason!.ShouldContain("Source=external");
        node.State.Decisions().Single().Allowed.ShouldBeFalse();
        node.State.OutboxHistory().ShouldBeEmpty();
    }

    [Fact]
    public void Metrics_the_evaluate_mode_makes_up_are_refused_and_the_refusal_is_recorded()
    {
        // Given an evaluate mode that claims more samples than it was given
        var model = InitialModel();
        var bytes = SafeTensors.Write(model);
        var script = Path.Combine(site.Folder, "boasting.sh");
        File.WriteAllText(script, """
            while [ $# -gt 0 ]; do case "$1" in --output) out="$2" ;; esac; shift; done
            echo '{"metrics":[{"name":"accuracy","slice":null,"value":0.99,"samples":1000000}]}' > "$out"
            """);
        var trainer = new ExternalTrainer(vault.Store, VaultKind.Photos, "/bin/sh", [script], TimeSpan.FromSeconds(30), Path.Combine(site.Folder, "work"),
            new VaultPhotoTrainer(vault.Store, Classes, 0.3));
        var node = site.Node(trainer, model);

        // When the gateway evaluates a published version
        var result = node.Evaluate(new ModelPublished(1, Sha256Hex.Of(bytes), 1, bytes));

        // Then nothing is reported and the reason is on record
        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain("samples from 1 to the");
        var decision = node.State.Decisions().Single();
        decision.Checks.Single().Name.ShouldBe(LocalEvaluation.HoldoutCheck);
        node.State.OutboxHistory().ShouldBeEmpty();
    }

    private ExternalTrainer Trainer() => new(
        vault.Store, VaultKind.Photos, RepositoryFiles.Python, [RepositoryFiles.PhotoCnn], TimeSpan.FromMinutes(2), Path.Combine(site.Folder, "work"),
        new VaultPhotoTrainer(vault.Store, Classes, 0.3));

    /// <summary>Version 0 as the model team makes it: <c>photo_cnn.py --init --classes 2</c>.</summary>
    private TensorSet InitialModel()
    {
        var file = Path.Combine(site.Folder, "init.safetensors");
        var start = new ProcessStartInfo(RepositoryFiles.Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { RepositoryFiles.PhotoCnn, "--init", "--classes", "2", "--seed", "3", "--out", file })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, error);
        return SafeTensors.Read(File.ReadAllBytes(file));
    }
}
