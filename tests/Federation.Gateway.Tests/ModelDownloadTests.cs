using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;
using Federation.Site.Models;
using Federation.Site.State;
using Federation.Trust;

namespace Federation.Gateway.Tests;

/// <summary>
/// A V2 announcement names its base model by hash: the gateway downloads it through its model cache, trains, and
/// signs a manifest naming the announced task. A cut download resumes; bytes that are not the announced model are
/// refused without a decision, so a repeat of the announcement can still be decided.
/// </summary>
public sealed class ModelDownloadTests : IDisposable
{
    private static readonly byte[] ModelBytes = SafeTensors.Write(Site.BaseModel);
    private static readonly ModelReference Model = new(Sha256Hex.Of(ModelBytes), ModelBytes.Length);

    private readonly Site site = new();

    public void Dispose() => site.Dispose();

    private static RoundAnnouncedV2 Round(string task, int round) =>
        new(task, round, 0, Model, new TrainingPlan(1, 32, 0.1, 7, 0), [Site.GatewayId], Site.Start.AddDays(1));

    [Fact]
    public async Task A_round_of_a_created_task_is_downloaded_by_hash_trained_and_signed_for_that_task()
    {
        var node = site.Node(Site.PolicyWithPressFit());
        var server = new ModelServer(ModelBytes);
        await using var run = await Site.StartAsync(node, models: server);

        await run.Harness.Bus.Publish(Round("press-fit", 1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution");

        var manifest = Site.Manifest(run.Published<ContributionSubmitted>().Single().Context.Message);
        manifest.Task.ShouldBe("press-fit");
        manifest.BaseModelSha256.ShouldBe(Model.Sha256);
        server.Requests.ShouldBe([0L]);
        File.ReadAllBytes(Path.Combine(site.StateDirectory, "models", $"{Model.Sha256}.safetensors")).ShouldBe(ModelBytes);
        node.State.Decisions().ShouldHaveSingleItem().Subject.ShouldBe("task press-fit round 1");
        node.State.LastCompleted(GatewayState.RoundsLedgerOf("press-fit")).ShouldBe(1);
        node.State.LastCompleted(GatewayState.RoundsLedger).ShouldBe(-1, "task default's round 1 is another round");
    }

    [Fact]
    public async Task A_release_of_task_default_is_a_v3_manifest_naming_the_task_and_its_privacy_charge_as_the_ledger_has_it()
    {
        var node = site.Node();
        await using var run = await Site.StartAsync(node, models: new ModelServer(ModelBytes));

        await run.Harness.Bus.Publish(Round(TaskIds.Default, 1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution");

        var manifest = Site.Manifest(run.Published<ContributionSubmitted>().Single().Context.Message);
        manifest.Type.ShouldBe(Contracts.Signing.DocumentTypes.ContributionManifestV3);
        manifest.Task.ShouldBe(TaskIds.Default);
        var release = node.State.PrivacyLedger().Releases.ShouldHaveSingleItem();
        var privacy = manifest.Privacy.ShouldNotBeNull();
        (privacy.Mechanism, privacy.SamplingRate, privacy.Steps, privacy.NoiseMultiplier).ShouldBe((Contracts.Signing.ReleasePrivacy.DpSgd, release.SamplingRate, release.Steps, release.NoiseMultiplier));
        var budget = node.Policy.Policy.Privacy!.Budget;
        (privacy.BudgetEpsilon, privacy.Delta, privacy.WindowSeconds).ShouldBe((budget.Epsilon, budget.Delta, (long)budget.Window.TotalSeconds));
        privacy.EpsilonInWindow.ShouldBe(node.State.PrivacyLedger().Spent(release.At, budget.Window, budget.Delta).Epsilon, 1e-12);
        privacy.Epsilon.ShouldBe(privacy.EpsilonInWindow, 1e-12); // the only release so far
        node.State.Decisions().ShouldHaveSingleItem().Subject.ShouldBe("round 1");
    }

    [Fact]
    public async Task A_download_cut_midway_is_resumed_by_the_repeated_announcement_from_where_it_stopped()
    {
        var node = site.Node();
        var half = ModelBytes.Length / 2;
        var server = new ModelServer(ModelBytes) { CutOnceAfter = half };
        await using var run = await Site.StartAsync(node, models: server);

        await run.Harness.Bus.Publish(Round(TaskIds.Default, 1));
        await Site.Eventually(() => server.Requests.Count == 1 && IsUndecided(node, 1), "the cut download to let the round go");
        node.State.Decisions().ShouldBeEmpty("nothing was decided on a model that did not arrive");

        // The aggregator repeats an open round's announcement; this one finds half the file on disk.
        await run.Harness.Bus.Publish(Round(TaskIds.Default, 1));
        await Site.Eventually(() => run.Published<ContributionSubmitted>().Count == 1, "the contribution after the repeat");

        server.Requests.ShouldBe([0L, half], "the second request asks only for the bytes not yet on disk");
        node.State.Decisions().ShouldHaveSingleItem().Allowed.ShouldBeTrue();
    }

    [Fact]
    public async Task Bytes_that_are_not_the_announced_model_are_refused_kept_nowhere_and_the_round_stays_undecided()
    {
        var node = site.Node();
        // Another model of the same layout: one weight differs.
        var other = (byte[])ModelBytes.Clone();
        other[^1] ^= 0x40;
        var server = new ModelServer(other);
        await using var run = await Site.StartAsync(node, models: server);

        await run.Harness.Bus.Publish(Round(TaskIds.Default, 1));
        await Site.Eventually(() => server.Requests.Count == 1, "the download");
        await Site.Eventually(() => IsUndecided(node, 1), "the gateway to let the round go after the refusal");

        run.Published<ContributionSubmitted>().ShouldBeEmpty();
        node.State.Decisions().ShouldBeEmpty();
        Directory.GetFiles(Path.Combine(site.StateDirectory, "models")).ShouldBeEmpty();
    }

    /// <summary>Whether no decision on the round is made or under way, so a repeat of its announcement would be acted on.</summary>
    private static bool IsUndecided(Federation.Site.GatewayNode node, int round)
    {
        var rounds = node.Rounds(TaskIds.Default);
        if (!rounds.TryBegin(round))
        {
            return false;
        }

        rounds.Abandon(round);
        return true;
    }

    /// <summary>Serves one model file from any offset, recording each request's offset, optionally cutting the first after a number of bytes.</summary>
    private sealed class ModelServer(byte[] bytes) : IModelSource
    {
        private readonly List<long> requests = [];

        public long? CutOnceAfter { get; set; }

        public IReadOnlyList<long> Requests
        {
            get
            {
                lock (requests)
                {
                    return [.. requests];
                }
            }
        }

        public async Task CopyToAsync(ModelReference model, long offset, Stream destination, CancellationToken cancellationToken)
        {
            var cut = CutOnceAfter;
            await destination.WriteAsync(bytes.AsMemory((int)offset, (int)((cut ?? bytes.Length) - offset)), cancellationToken);
            await destination.FlushAsync(cancellationToken);
            lock (requests)
            {
                requests.Add(offset);
            }

            if (cut is not null)
            {
                CutOnceAfter = null;
                throw new IOException("The connection was cut.");
            }
        }
    }
}
