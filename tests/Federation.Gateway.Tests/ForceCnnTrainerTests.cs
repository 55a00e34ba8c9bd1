using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Tensors;
using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.Training;
using Federation.Trust;
using Federation.Vault;
using Federation.Vault.PressFit;

namespace Federation.Gateway.Tests;

/// <summary>
/// The reference 1-D CNN for press-fit curves (trainers/pytorch/force_cnn.py) as a factory runs it: pinned, confined,
/// DP-SGD on the vault's labelled force curves, and its evaluate mode on the held-out ones.
/// </summary>
public sealed class ForceCnnTrainerTests : IDisposable
{
    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public ForceCnnTrainerTests()
    {
        var folder = Path.Combine(vault.Incoming, "press");
        PressFitFiles.Write(folder, count: 160, seed: 4, faultyShare: 0.4);
        vault.Importer.ImportAll(VaultKind.Force, [folder]);
    }

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void A_pinned_force_cnn_trains_with_dp_sgd_on_the_vaults_curves_and_evaluates_the_held_out_ones()
    {
        // Given version 0 of the 1-D CNN and a policy that pins its folder
        var model = InitialModel();
        var hash = TrainerHash.Of([Path.GetDirectoryName(RepositoryFiles.ForceCnn)!]);
        var node = site.Node(Trainer(), model, extraRules: $"trainers:\n  force-cnn: {hash}\n");
        int trainedOn = vault.Store.Entries(VaultKind.Force).Count(entry => !VaultHoldout.IsHeldOut(entry.Sha256, 0.3));
        int heldOut = vault.Store.Entries(VaultKind.Force).Count - trainedOn;

        // When a round is announced and the next version is published
        var round = node.Contribute(Site.Round(1, model));
        var bytes = SafeTensors.Write(model);
        var evaluation = node.Evaluate(new ModelPublished(1, Sha256Hex.Of(bytes), 1, bytes));

        // Then the update is the CNN's layout, trained with DP-SGD on the labelled curves not held out and charged as such
        round.Allowed.ShouldBeTrue(round.Reason);
        SafeTensors.Read(round.Message!.Payload).DescribeLayoutDifference(model).ShouldBeNull();
        Site.Manifest(round.Message).SampleCount.ShouldBe(trainedOn);
        node.State.PrivacyLedger().Releases.ShouldHaveSingleItem().Steps.ShouldBe((trainedOn + 31) / 32);
        node.State.Decisions()[^1].Checks[0].Detail.ShouldContain($"pinned as force-cnn (SHA-256 {hash})");

        // and the report holds its evaluate mode's accuracy over every held-out curve
        evaluation.Allowed.ShouldBeTrue(evaluation.Reason);
        var report = System.Text.Json.JsonSerializer.Deserialize<EvaluationReport>(evaluation.Message!.Report, FederationJson.Options)!;
        report.Metrics.Single(metric => metric is { Name: "accuracy", Slice: null }).SampleCount.ShouldBe(heldOut);
    }

    [Fact]
    public void The_sites_force_column_reaches_the_program_through_its_data_file()
    {
        // Given a site whose curves carry their force in a column of another name, and the gateway set to it
        using var renamed = new VaultSite();
        var folder = Directory.CreateDirectory(Path.Combine(renamed.Incoming, "kraft")).FullName;
        foreach (var (curve, index) in PressFitGenerator.Generate(80, seed: 5, faultyShare: 0.4).Select((curve, index) => (curve, index)))
        {
            var csv = System.Text.Encoding.UTF8.GetString(curve.ToCsv()).Replace(PressFitGenerator.ForceColumn, "kraft_n", StringComparison.Ordinal);
            var path = Path.Combine(folder, $"curve-{index:D3}.csv");
            File.WriteAllText(path + VaultImporter.LabelSidecarSuffix, curve.Label + "\n");
            File.WriteAllText(path, csv);
        }

        renamed.Importer.ImportAll(VaultKind.Force, [folder]);
        var model = InitialModel();
        var trainer = new ExternalTrainer(
            renamed.Store, VaultKind.Force, RepositoryFiles.Python, [RepositoryFiles.ForceCnn], TimeSpan.FromMinutes(2), Path.Combine(site.Folder, "work"),
            new VaultPressFitTrainer(renamed.Store, forceColumn: "kraft_n", holdoutFraction: 0.3));
        var node = site.Node(trainer, model, extraRules: $"trainers:\n  force-cnn: {TrainerHash.Of([Path.GetDirectoryName(RepositoryFiles.ForceCnn)!])}\n");

        // When a round is announced, force_cnn.py reads that column (with force_n it would find none and fail)
        var round = node.Contribute(Site.Round(1, model));

        round.Allowed.ShouldBeTrue(round.Reason);
        Site.Manifest(round.Message!).SampleCount.ShouldBe(renamed.Store.Entries(VaultKind.Force).Count(entry => !VaultHoldout.IsHeldOut(entry.Sha256, 0.3)));
    }

    private ExternalTrainer Trainer() => new(
        vault.Store, VaultKind.Force, RepositoryFiles.Python, [RepositoryFiles.ForceCnn], TimeSpan.FromMinutes(2), Path.Combine(site.Folder, "work"),
        new VaultPressFitTrainer(vault.Store, holdoutFraction: 0.3));

    /// <summary>Version 0 as the model team makes it: <c>force_cnn.py --init</c>.</summary>
    private TensorSet InitialModel()
    {
        var file = Path.Combine(site.Folder, "force-cnn-v0.safetensors");
        // Throws with the program's stderr when it exits non-zero.
        RepositoryFiles.Trainers.RunAsync("force_cnn.py", "--init", "--seed", "3", "--out", file).GetAwaiter().GetResult();
        return SafeTensors.Read(File.ReadAllBytes(file));
    }
}
