using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Training;
using Federation.Vault;

namespace Federation.Gateway.Tests;

/// <summary>
/// A factory's own trainer runs as a child process (here /bin/sh scripts); the gateway checks its output strictly and
/// applies the privacy mechanism itself, and a trainer that crashes, hangs or writes the wrong thing sends nothing.
/// </summary>
public sealed class ExternalTrainerTests : IDisposable
{
    // Checks the gateway's inputs and that it does not see the gateway's environment, reports on stderr, and copies its
    // first argument (a prepared model) to --output.
    private const string CopyingTrainer = """
        test -z "$FEDERATION_TEST_SECRET" || { echo "saw the gateway's environment" >&2; exit 66; }
        fixture="$1"; shift
        while [ $# -gt 0 ]; do
          case "$1" in
            --base-model) base="$2" ;; --data) data="$2" ;; --plan) plan="$2" ;; --output) out="$2" ;;
            *) echo "unknown argument $1" >&2; exit 64 ;;
          esac
          shift 2
        done
        test -s "$base" && grep -q '"epochs":1' "$plan" && grep -q '"kind":"photos"' "$data" || exit 65
        echo "trained on $(grep -o '"sha256"' "$data" | wc -l | tr -d ' ') entries" >&2
        cp "$fixture" "$out"
        """;

    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public ExternalTrainerTests()
    {
        // Stands for the broker password a production gateway has in its environment.
        Environment.SetEnvironmentVariable("FEDERATION_TEST_SECRET", "broker-password");
        PhotoTrainingTests.ImportPhotos(vault, 24);
    }

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void An_external_trainers_update_is_clipped_and_noised_by_the_gateway_and_charged_as_one_full_batch_release()
    {
        // Given a program that writes the base model moved by 3 in every value (norm far above C / 2 = 0.5)
        var trained = Shifted(Site.BaseModel, 3f);
        var trainer = Trainer(CopyingTrainer, trained);
        var node = site.Node(trainer, Site.BaseModel);

        // When a round is announced
        var result = node.Contribute(Site.Round(1));

        // Then it leaves, charged as q = 1, one step, z = 1 over the 24 entries, with the program's stderr on record
        result.Allowed.ShouldBeTrue(result.Reason);
        Site.Manifest(result.Message!).SampleCount.ShouldBe(24);
        var release = node.State.PrivacyLedger().Releases.ShouldHaveSingleItem();
        (release.SamplingRate, release.Steps, release.NoiseMultiplier).ShouldBe((1.0, 1, 1.0));
        var check = node.State.Decisions().Single().Checks[0];
        check.Detail.ShouldContain("given 24 vault entries of kind photos");
        check.Detail.ShouldContain("stderr: trained on 24 entries");
    }

    [Fact]
    public void The_gateway_scales_the_update_to_half_the_clipping_norm_and_adds_noise_of_z_times_c()
    {
        // Given C = 2 and z = 1.5 and a program whose update is +3 in every value
        var model = ModelSpec.LogisticRegression(784, 2).Initialize(1);
        var trainer = Trainer(CopyingTrainer, Shifted(model, 3f));
        var context = new LocalTrainingContext(1, model, Site.Round(1).Training, 7, 2.0, 1.5, new byte[32]);

        // When it trains
        var update = trainer.Prepare(context).Train();

        // Then update − (the update scaled to norm C / 2 = 1) is Gaussian with σ = z·C = 3 (1,570 values: ±10 % is > 5 standard errors)
        int count = (int)update.ElementCount;
        float clippedValue = (float)(1.0 / Math.Sqrt(count));
        var noise = update.SelectMany(tensor => tensor.Values).Select(value => (double)(value - clippedValue)).ToArray();
        noise.Average().ShouldBe(0, 3 * 3 / Math.Sqrt(count));
        Math.Sqrt(noise.Select(value => value * value).Average()).ShouldBe(3.0, 0.3);
    }

    [Fact]
    public void A_trainer_that_crashes_is_refused_with_its_exit_code_and_stderr_and_nothing_is_sent()
    {
        var node = site.Node(Trainer("echo 'cannot open camera index' >&2; exit 3", Site.BaseModel), Site.BaseModel);

        ShouldBeRefused(node, "exited with code 3; stderr: cannot open camera index");
    }

    [Fact]
    public void A_trainer_that_runs_past_its_timeout_is_killed_and_refused()
    {
        var node = site.Node(Trainer("echo started >&2; sleep 30", Site.BaseModel, TimeSpan.FromSeconds(1)), Site.BaseModel);

        ShouldBeRefused(node, "did not finish within 1 s (Gateway:Training:TimeoutSeconds) and was killed; stderr: started");
    }

    [Fact]
    public void A_trainer_that_writes_the_wrong_shape_is_refused()
    {
        var wrong = ModelSpec.LogisticRegression(5, 3).Initialize(1);
        var node = site.Node(Trainer(CopyingTrainer, wrong), Site.BaseModel);

        ShouldBeRefused(node, "wrote a model that differs from the base model");
    }

    [Fact]
    public void A_trainer_that_writes_non_finite_values_or_nothing_is_refused()
    {
        var poisoned = Shifted(Site.BaseModel, 0f);
        poisoned[0].Values[1] = float.NaN;

        ShouldBeRefused(site.Node(Trainer(CopyingTrainer, poisoned), Site.BaseModel), "wrote non-finite values");
        ShouldBeRefused(site.Node(Trainer("exit 0", Site.BaseModel), Site.BaseModel), "wrote no output file", round: 2);
    }

    [Fact]
    public void A_program_that_does_not_exist_is_refused_naming_the_setting()
    {
        var trainer = new ExternalTrainer(vault.Store, VaultKind.Photos, Path.Combine(site.Folder, "no-such-trainer"), [], TimeSpan.FromSeconds(5), Path.Combine(site.Folder, "work"), null);

        ShouldBeRefused(site.Node(trainer, Site.BaseModel), "(Gateway:Training:Command)");
    }

    private void ShouldBeRefused(GatewayNode node, string reason, int round = 1)
    {
        var result = node.Contribute(Site.Round(round));

        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain(reason);
        var decision = node.State.Decisions().Last();
        decision.Allowed.ShouldBeFalse();
        decision.Checks[^1].Name.ShouldBe(LocalTraining.TrainingCheck);
        decision.Checks.Take(decision.Checks.Count - 1).ShouldAllBe(check => check.Passed); // the policy pre-flight passed first
        node.State.OutboxHistory().ShouldBeEmpty();
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
        Directory.EnumerateFileSystemEntries(Path.Combine(site.Folder, "work")).ShouldBeEmpty(); // the run's files are gone
    }

    [Fact]
    public void Entries_held_out_to_evaluate_published_models_are_not_given_to_the_external_trainer()
    {
        // Given an external trainer whose evaluations read half the photos as held out
        var trainer = Trainer(CopyingTrainer, Shifted(Site.BaseModel, 3f), holdout: new VaultPhotoTrainer(vault.Store, holdoutFraction: 0.5));
        var heldOut = vault.Store.Entries(VaultKind.Photos).Count(entry => VaultHoldout.IsHeldOut(entry.Sha256, 0.5));
        heldOut.ShouldBeInRange(1, 23);
        var node = site.Node(trainer, Site.BaseModel, minimumSamples: 1);

        // When it trains for a round
        var result = node.Contribute(Site.Round(1));

        // Then the program was given, and the release charged for, only the others
        result.Allowed.ShouldBeTrue(result.Reason);
        Site.Manifest(result.Message!).SampleCount.ShouldBe(24 - heldOut);
        node.State.Decisions().Single().Checks[0].Detail.ShouldContain($"stderr: trained on {24 - heldOut} entries");
    }

    private ExternalTrainer Trainer(string script, TensorSet output, TimeSpan? timeout = null, VaultTrainer? holdout = null)
    {
        var folder = Path.Combine(site.Folder, "programs");
        Directory.CreateDirectory(folder);
        var scriptPath = Path.Combine(folder, $"trainer-{Guid.NewGuid():N}.sh");
        File.WriteAllText(scriptPath, script);
        var fixture = Path.Combine(folder, $"output-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(fixture, SafeTensors.Write(output));
        return new ExternalTrainer(vault.Store, VaultKind.Photos, "/bin/sh", [scriptPath, fixture], timeout ?? TimeSpan.FromSeconds(30), Path.Combine(site.Folder, "work"), holdout);
    }

    private static TensorSet Shifted(TensorSet model, float by) =>
        new(model.Select(tensor => new Tensor(tensor.Name, tensor.Shape, [.. tensor.Values.Select(value => value + by)])));
}
