using Federation.Site.Contributions;
using Federation.Site.Training;
using Federation.Vault;
using Federation.Vault.PressFit;

namespace Federation.Gateway.Tests;

/// <summary>Synthetic press-fit curves have the documented physical shape, enter the vault labelled, and train the press-fit model.</summary>
public sealed class PressFitTests : IDisposable
{
    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void The_same_seed_gives_the_same_curves()
    {
        var first = PressFitGenerator.Generate(5, seed: 3, faultyShare: 0.5);
        var second = PressFitGenerator.Generate(5, seed: 3, faultyShare: 0.5);

        first.Select(curve => Convert.ToHexString(curve.ToCsv())).ShouldBe(second.Select(curve => Convert.ToHexString(curve.ToCsv())));
    }

    [Fact]
    public void Curves_have_the_documented_magnitudes_and_fault_signatures()
    {
        var random = new Random(11);
        for (int i = 0; i < 20; i++)
        {
            // Good: 3 to 13 kN at the shoulder (12 mm engaged after 1 mm of approach), then the stop 3 kN higher.
            var good = PressFitGenerator.Curve(PressFitFault.None, random);
            double atShoulder = ForceAt(good, 12.94);
            atShoulder.ShouldBeInRange(2_500, 14_000);
            good.ForceNewtons.Max().ShouldBeInRange(atShoulder + 2_800, atShoulder + 4_000); // plus one sample of the 50 kN/mm stop
            good.PositionMm[^1].ShouldBeInRange(12.9, 13.2);
            Math.Abs(ForceAt(good, 0.5)).ShouldBeLessThan(100); // free approach: sensor noise only

            // Low interference: the whole insertion stays below 4 kN (δ ≤ 7 µm; a good part reaches 3.5 to 13 kN).
            ForceAt(PressFitGenerator.Curve(PressFitFault.LowInterference, random), 12.9).ShouldBeLessThan(4_000);

            // Entry spike: within the first 0.6 mm of engagement the force exceeds what the lead-in of a good part reaches.
            var spike = PressFitGenerator.Curve(PressFitFault.EntrySpike, random);
            MaxBetween(spike, 1.0, 1.6).ShouldBeGreaterThan(1_400);
        }

        var galling = PressFitGenerator.Curve(PressFitFault.Galling, new Random(2));
        (galling.ForceNewtons.Max() > 14_000 || galling.PositionMm[^1] < 12.9).ShouldBeTrue();
    }

    [Fact]
    public void Generated_files_enter_the_vault_with_their_labels_and_sample_rate()
    {
        var folder = Path.Combine(vault.Incoming, "press");
        var curves = PressFitFiles.Write(folder, count: 6, seed: 1, faultyShare: 0.5);

        var results = vault.Importer.ImportAll(VaultKind.Force, [folder]);

        results.ShouldAllBe(result => result.Outcome == VaultImportOutcome.Stored);
        results.Select(result => result.Entry!.Label).ShouldBe(curves.Select(curve => curve.Label));
        results.ShouldAllBe(result => result.Entry!.SampleRateHz == PressFitGenerator.SampleRateHz);
    }

    [Fact]
    public void A_force_file_may_go_unlabelled_but_never_with_a_malformed_label()
    {
        var csv = PressFitGenerator.Generate(1, seed: 1, faultyShare: 0).Single().ToCsv();
        var unlabelled = vault.Import(VaultKind.Force, vault.Write(Path.Combine("good", "a.csv"), csv));
        vault.Write(Path.Combine("x", "b.csv.label"), "not ok!\n");
        var badLabel = vault.Import(VaultKind.Force, vault.Write(Path.Combine("x", "b.csv"), [.. csv, .. "0"u8.ToArray()]));

        // A folder named "good" does not label a force curve.
        unlabelled.Entry!.Label.ShouldBeNull();
        badLabel.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        badLabel.Problem!.Message.ShouldContain("label \"not ok!\"");
    }

    [Fact]
    public void Vault_force_curves_train_the_press_fit_model_and_unlabelled_ones_are_left_out()
    {
        // Given 40 labelled generated curves and one unlabelled curve in the vault
        var folder = Path.Combine(vault.Incoming, "press");
        var curves = PressFitFiles.Write(folder, count: 40, seed: 2, faultyShare: 0.5);
        vault.Importer.ImportAll(VaultKind.Force, [folder]);
        vault.Import(VaultKind.Force, vault.Write("unlabelled.csv", PressFitGenerator.Generate(1, seed: 9, faultyShare: 0).Single().ToCsv()));
        var trainer = new VaultPressFitTrainer(vault.Store);
        var model = PressFitModel.Spec.Initialize(1);
        var node = site.Node(trainer, model);

        // When a round is announced
        var result = node.Contribute(Site.Round(1, model));

        // Then the update leaves, and each curve became the features of its own samples
        result.Allowed.ShouldBeTrue(result.Reason);
        var read = trainer.Read(PressFitModel.Spec);
        (read.Training.Count + read.Holdout.Count).ShouldBe(40);
        read.Summary.ShouldContain("left out 1 with no label");
        var expected = curves.Select(curve => PressFitFeatures.From(curve.TimeSeconds, curve.ForceNewtons)).ToList();
        for (int i = 0; i < read.Training.Count; i++)
        {
            var features = read.Training.FeaturesOf(i).ToArray();
            var match = expected.FindIndex(candidate => candidate.Zip(features).All(pair => Math.Abs(pair.First - pair.Second) < 1e-5f));
            match.ShouldBeGreaterThanOrEqualTo(0, "features come from a generated curve (CSV rounding aside)");
            read.Training.Labels[i].ShouldBe(curves[match].Fault == PressFitFault.None ? (byte)0 : (byte)1);
        }
    }

    [Fact]
    public void A_quoted_header_the_vault_accepts_is_read_the_same_way_by_training()
    {
        // Given a force curve whose header names are quoted (as spreadsheet exports write them) and one quoted sample
        var curve = PressFitGenerator.Generate(1, seed: 4, faultyShare: 0).Single();
        var plain = System.Text.Encoding.UTF8.GetString(curve.ToCsv());
        var lines = plain.Split('\n');
        lines[1] = string.Join(',', lines[1].Split(',').Select(name => $"\"{name}\""));
        lines[2] = string.Join(',', lines[2].Split(',').Select(value => $"\"{value}\""));
        var quoted = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));

        // When the vault imports it and training reads it
        var result = vault.Import(VaultKind.Force, vault.Write("quoted.csv", quoted), label: "good");
        var features = PressFitFeatures.FromCsv(quoted, PressFitGenerator.ForceColumn, out var problem);

        // Then both read the same header and samples as from the unquoted file
        result.Outcome.ShouldBe(VaultImportOutcome.Stored, result.Problem?.ToString());
        result.Entry!.Records.ShouldBe(curve.TimeSeconds.Length);
        problem.ShouldBeNull();
        features.ShouldBe(PressFitFeatures.FromCsv(curve.ToCsv(), PressFitGenerator.ForceColumn, out _));
    }

    [Fact]
    public void Malformed_quoting_is_refused_by_the_vault_and_by_training_alike()
    {
        var text = System.Text.Encoding.UTF8.GetString(PressFitGenerator.Generate(1, seed: 4, faultyShare: 0).Single().ToCsv());
        var broken = System.Text.Encoding.UTF8.GetBytes(text.Replace("t_s,", "\"t_s\"x,", StringComparison.Ordinal));

        var result = vault.Import(VaultKind.Force, vault.Write("broken.csv", broken));
        PressFitFeatures.FromCsv(broken, PressFitGenerator.ForceColumn, out var problem).ShouldBeNull();

        result.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        result.Problem!.ToString().ShouldBe("line 2: text after a closing quote");
        problem.ShouldBe("unreadable CSV: line 2: text after a closing quote");
    }

    private static double ForceAt(PressFitCurve curve, double positionMm) =>
        curve.ForceNewtons[Math.Min(curve.ForceNewtons.Length - 1, Array.FindIndex(curve.PositionMm, x => x >= positionMm - 1e-9))];

    private static double MaxBetween(PressFitCurve curve, double fromMm, double toMm) =>
        curve.PositionMm.Select((x, i) => (x, f: curve.ForceNewtons[i])).Where(pair => pair.x >= fromMm && pair.x <= toMm).Max(pair => pair.f);
}
