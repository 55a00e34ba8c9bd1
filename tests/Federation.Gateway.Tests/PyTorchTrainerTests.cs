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
        node.State.Decisions().Single().Checks[0].Detail.ShouldContain($"stderr: trained on {trainedOn} entries");
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

    [Fact]
    public void A_trainer_the_policy_pins_runs_dp_sgd_itself_and_is_charged_for_its_steps_without_the_gateways_noise()
    {
        // Given a policy that pins photo_cnn.py's folder by its hash
        var model = InitialModel();
        var trainer = Trainer();
        var hash = TrainerHash.Of([Path.GetDirectoryName(RepositoryFiles.PhotoCnn)!]);
        var node = site.Node(trainer, model, extraRules: $"trainers:\n  photo-cnn: {hash}\n");

        // When a round (batch 32) is announced
        var result = node.Contribute(Site.Round(1, model));

        // Then it trained with DP-SGD at q = 32 / N for one epoch's ⌈N / 32⌉ steps, and the ledger charged exactly that
        result.Allowed.ShouldBeTrue(result.Reason);
        int trainedOn = vault.Store.Entries(VaultKind.Photos).Count(entry => !VaultHoldout.IsHeldOut(entry.Sha256, 0.3));
        int steps = (trainedOn + 31) / 32;
        var release = node.State.PrivacyLedger().Releases.ShouldHaveSingleItem();
        release.SamplingRate.ShouldBe(32.0 / trainedOn, 1e-12);
        (release.Steps, release.NoiseMultiplier).ShouldBe((steps, 1.0));
        var detail = node.State.Decisions().Single().Checks[0].Detail;
        detail.ShouldContain($"pinned as photo-cnn (SHA-256 {hash})");
        detail.ShouldContain($"it reports q = {32.0 / trainedOn:G6}, {steps} steps, C = 1, z = 1");
        detail.ShouldContain($"stderr: DP-SGD on {trainedOn} entries: {steps} steps");
    }

    [Fact]
    public void A_trainer_the_policy_does_not_pin_is_refused_before_it_is_given_any_data()
    {
        // Given a policy that pins some other trainer
        var model = InitialModel();
        var node = site.Node(Trainer(), model, extraRules: $"trainers:\n  other: {new string('0', 64)}\n");

        var result = node.Contribute(Site.Round(1, model));

        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain("is not a trainer the policy pins for this task");
        result.Reason!.ShouldContain($"hash to {TrainerHash.Of([Path.GetDirectoryName(RepositoryFiles.PhotoCnn)!])}");
        result.Reason!.ShouldContain("other 000000000000…");
        Directory.Exists(Path.Combine(site.Folder, "work")).ShouldBeFalse(); // no run folder: nothing was copied or written
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"mechanism":"dp-sgd","samplingRate":0.5,"steps":1,"clippingNorm":1,"noiseMultiplier":0.5}""", "reports DP-SGD with z = 0.5, below the policy's minimum 1")]
    [InlineData("""{"mechanism":"dp-sgd","samplingRate":0.5,"steps":1,"clippingNorm":4,"noiseMultiplier":1}""", "reports DP-SGD with C = 4, above the policy's maximum 1")]
    [InlineData("""{"mechanism":"dp-sgd","samplingRate":0.01,"steps":999,"clippingNorm":1,"noiseMultiplier":1}""", "more than the planned")]
    [InlineData("""{"mechanism":"gaussian","samplingRate":0.5,"steps":1,"clippingNorm":1,"noiseMultiplier":1}""", "wrote a privacy report that is not")]
    [InlineData(null, "wrote no privacy report")]
    public void A_pinned_trainer_whose_report_falls_short_of_the_policy_is_refused_with_the_reason(string? report, string reason)
    {
        // Given a pinned shell trainer that copies the base model and writes the given report
        var folder = Directory.CreateDirectory(Path.Combine(site.Folder, "pinned")).FullName;
        var script = Path.Combine(folder, "trainer.sh");
        var writeReport = report is null ? "" : "echo '" + report + "' > \"$report\"";
        File.WriteAllText(script, $$"""
            while [ $# -gt 0 ]; do case "$1" in --base-model) base="$2" ;; --output) out="$2" ;; --privacy-report) report="$2" ;; esac; shift 2; done
            cp "$base" "$out"
            {{writeReport}}
            """);
        var trainer = new ExternalTrainer(vault.Store, VaultKind.Photos, "/bin/sh", [script], TimeSpan.FromSeconds(30), Path.Combine(site.Folder, "work"),
            new VaultPhotoTrainer(vault.Store, Classes, 0.3));
        var node = site.Node(trainer, Site.BaseModel, extraRules: $"trainers:\n  shell: {TrainerHash.Of([folder])}\n");

        var result = node.Contribute(Site.Round(1));

        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain(reason);
        node.State.OutboxHistory().ShouldBeEmpty();
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
    }

    private ExternalTrainer Trainer() => new(
        vault.Store, VaultKind.Photos, RepositoryFiles.Python, [RepositoryFiles.PhotoCnn], TimeSpan.FromMinutes(2), Path.Combine(site.Folder, "work"),
        new VaultPhotoTrainer(vault.Store, Classes, 0.3));

    /// <summary>Version 0 as the model team makes it: <c>photo_cnn.py --init --classes 2</c>.</summary>
    private TensorSet InitialModel()
    {
        var file = Path.Combine(site.Folder, "init.safetensors");
        // Throws with the program's stderr when it exits non-zero.
        RepositoryFiles.Trainers.RunAsync("photo_cnn.py", "--init", "--classes", "2", "--seed", "3", "--out", file).GetAwaiter().GetResult();
        return SafeTensors.Read(File.ReadAllBytes(file));
    }
}
