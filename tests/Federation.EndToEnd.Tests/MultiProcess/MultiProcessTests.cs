using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Site.State;
using Xunit.Abstractions;

namespace Federation.EndToEnd.Tests.MultiProcess;

/// <summary>The broker of its own that every multi-process test shares; started once, deleted at the end.</summary>
public sealed class DedicatedBrokerFixture : IAsyncLifetime
{
    internal DedicatedBroker Broker { get; } = new(port: 55692);

    public Task InitializeAsync() => Broker.StartAsync("federation", fresh: true);

    public Task DisposeAsync() => Broker.DeleteAsync();
}

/// <summary>
/// The multi-process tests run alone, after the others: four processes and broker restarts on two
/// cores would otherwise starve the in-process federations' deadlines.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiProcessCollection
{
    public const string Name = "multi-process";
}

/// <summary>
/// One aggregator process and three gateway processes over real RabbitMQ and PostgreSQL: the
/// same model as the embedded run, whatever happens to the aggregator or the broker meanwhile.
/// </summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessTests(DedicatedBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<DedicatedBrokerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Starts the gateways, then (once their queues exist) the aggregator; <paramref name="beforeGateways"/> runs before
    /// the gateways, <paramref name="beforeAggregator"/> in between.
    /// </summary>
    private async Task<ProcessFederation> StartAsync(string virtualHost, Action<ProcessFederation>? beforeAggregator = null, Action<ProcessFederation>? beforeGateways = null)
    {
        await fixture.Broker.StartAsync(virtualHost);
        var federation = new ProcessFederation(fixture.Broker);
        beforeGateways?.Invoke(federation);
        federation.StartGateways();
        await federation.GatewaysReadyAsync();
        beforeAggregator?.Invoke(federation);
        federation.StartAggregator();
        return federation;
    }

    private static void EveryRoundCountedEachGatewayOnce(List<IFederationEvent> events)
    {
        var accepted = events.OfType<ContributionAccepted>().ToList();
        accepted.GroupBy(contribution => (contribution.Round, contribution.GatewayId)).ShouldAllBe(group => group.Count() == 1);
        accepted.Count.ShouldBe(ProcessFederation.Rounds * ProcessFederation.Gateways);
        events.OfType<ModelVersionPublished>().Where(published => published.Round is not null)
            .ShouldAllBe(published => published.Contributions.Count == ProcessFederation.Gateways);
    }

    [Fact]
    public async Task Separate_processes_over_RabbitMQ_and_PostgreSQL_publish_the_same_model_as_the_embedded_run()
    {
        await using var federation = await StartAsync("e2e-plain");

        var events = await federation.CompletionAsync(Patience);
        var reference = await federation.EmbeddedReferenceAsync();

        EveryRoundCountedEachGatewayOnce(events);
        events.OfType<ContributionRejected>().ShouldBeEmpty(federation.AllOutput());
        events.OfType<ModelVersionPublished>().Single(published => published.Version == ProcessFederation.Rounds).ModelSha256.ShouldBe(reference);
        output.WriteLine($"final model {reference}, {events.Count} events");
    }

    [Fact]
    public async Task An_aggregator_killed_mid_round_resumes_and_publishes_the_same_model_with_nothing_lost_or_counted_twice()
    {
        // factory-3 hangs (SIGSTOP) before round 1 opens, so round 1 cannot close before the kill.
        await using var federation = await StartAsync("e2e-kill", started => started.GatewayProcesses["factory-3"].Pause());
        var midRound = await federation.WaitForAsync(
            events => events.OfType<ContributionAccepted>().Count(accepted => accepted.Round == 1) == 2, Patience, "two contributions in round 1");
        midRound.OfType<RoundClosed>().ShouldBeEmpty();
        await federation.Aggregator!.KillAsync();
        federation.StartAggregator();
        federation.GatewayProcesses["factory-3"].Resume();

        var events = await federation.CompletionAsync(Patience);
        var reference = await federation.EmbeddedReferenceAsync();

        EveryRoundCountedEachGatewayOnce(events);
        events.OfType<ModelVersionPublished>().Single(published => published.Version == ProcessFederation.Rounds).ModelSha256.ShouldBe(reference);
        output.WriteLine($"killed mid round 1; rejections after restart: {string.Join(", ", events.OfType<ContributionRejected>().Select(rejected => rejected.Reason))}");
        // The restarted aggregator resumed round 1 instead of opening another.
        events.OfType<RoundOpened>().Select(opened => opened.Round).ShouldBe([1, 2, 3]);
    }

    [Fact]
    public async Task Stopping_RabbitMQ_while_gateways_send_loses_nothing_and_counts_nothing_twice()
    {
        await using var federation = await StartAsync("e2e-outage");

        // Round 2 has just opened: the gateways are training and about to send.
        await federation.WaitForAsync(events => events.OfType<RoundOpened>().Any(opened => opened.Round == 2), Patience, "round 2 to open");
        await fixture.Broker.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await fixture.Broker.RestartAsync();

        var events = await federation.CompletionAsync(Patience);
        var reference = await federation.EmbeddedReferenceAsync();

        EveryRoundCountedEachGatewayOnce(events);
        events.OfType<ModelVersionPublished>().Single(published => published.Version == ProcessFederation.Rounds).ModelSha256.ShouldBe(reference);
    }

    [Fact]
    public async Task Three_tasks_learn_side_by_side_over_RabbitMQ_and_PostgreSQL_and_every_lineage_verifies_and_reaggregates_offline()
    {
        // Each factory's vault holds press-fit curves and photos for the model team's tasks; task default trains on its
        // Fashion-MNIST share. Every update is larger than 1 KiB, so each is uploaded to the aggregator process over HTTP
        // before its contribution.
        await using var federation = await StartAsync("e2e-tasks", beforeGateways: federation =>
        {
            federation.StockPressFitCurves();
            federation.StockPhotos();
            federation.UploadAbove = 1024;
        });
        await federation.AggregatorReadyAsync(Patience);
        var fedctl = federation.Fedctl();

        // The model team registers two models of its own while task default's rounds run on their own, each with another
        // strategy, two of the three factories and two rounds the aggregator runs by itself: the press-fit MLP (a
        // built-in layout, trained by the gateways' own press-fit trainer) and a photo CNN made by its PyTorch code
        // (none of the built-in layouts, trained with DP-SGD and evaluated by that code as each gateway's external trainer,
        // confined, and pinned by hash in every factory's policy).
        const int taskRounds = 2;
        var tasks = new (string Task, byte[] Model, string Strategy, string[] Invited, string Trainer, string Kind)[]
        {
            (ProcessFederation.SecondTask, SafeTensors.Write(ProcessFederation.SecondTaskModel), "fedmedian", [ProcessFederation.GatewayId(0), ProcessFederation.GatewayId(1)], "vault-press-fit", "force"),
            (ProcessFederation.PhotoTask, ProcessFederation.PhotoTaskModelFile, "fedavgm", [ProcessFederation.GatewayId(1), ProcessFederation.GatewayId(2)], "external", "photos"),
        };
        ModelSpec.TryFromParameters(SafeTensors.Read(ProcessFederation.PhotoTaskModelFile), out _).ShouldBeNull("the photo CNN is none of the built-in layouts");
        foreach (var (task, model, strategy, invited, _, _) in tasks)
        {
            var init = Path.Combine(federation.Folder, $"{task}-init.safetensors");
            await File.WriteAllBytesAsync(init, model);
            var created = await fedctl.RunAsync(
                $"tasks create {task} --model {init} --description {task}-inspector --strategy {strategy} --invite {string.Join(',', invited)} --min {invited.Length} --duration 300 --epochs 1 --lr 0.05 --rounds {taskRounds}");
            created.Code.ShouldBe(0, created.Output + created.Error);
        }

        foreach (var (task, _, _, _, _, _) in tasks)
        {
            await federation.WaitForAsync(
                events => events.OfType<ModelVersionPublished>().Any(published => published.Version == taskRounds && published.Round is not null),
                Patience, $"version {taskRounds} of task {task}", task);
        }

        var defaults = await federation.CompletionAsync(Patience);
        var all = await federation.EventsAsync();
        all.OfType<ContributionRejected>().ShouldBeEmpty(federation.AllOutput());
        EveryRoundCountedEachGatewayOnce(defaults);
        defaults.OfType<RoundOpened>().ShouldAllBe(opened => opened.Strategy == "fedavg");
        // Every release states its task and its privacy charge in its signed manifest (v3), task default's too.
        defaults.OfType<ContributionAccepted>().ShouldAllBe(contribution => contribution.Manifest.Contains("\"task\":\"default\"") && contribution.Manifest.Contains(DocumentTypes.ContributionManifestV3));
        // Every accepted payload of every task came by upload, none inline in its message.
        var logs = federation.AllOutput();
        all.OfType<ContributionAccepted>().ShouldAllBe(contribution => logs.Contains($"Received payload {contribution.PayloadSha256} ({contribution.PayloadBytes} bytes) by upload"));

        foreach (var (task, _, strategy, invited, trainer, kind) in tasks)
        {
            var taskEvents = (await federation.EventsAsync(task)).Except(defaults).ToList();

            // Each task kept its own rounds and lineage; nothing crossed over.
            taskEvents.OfType<ModelVersionPublished>().Select(published => published.Version).ShouldBe([0, 1, 2], task);
            var accepted = taskEvents.OfType<ContributionAccepted>().ToList();
            accepted.Count.ShouldBe(taskRounds * invited.Length, task);
            accepted.Select(contribution => contribution.GatewayId).Distinct().Order().ShouldBe(invited, ignoreOrder: false, task);
            accepted.ShouldAllBe(contribution => contribution.Manifest.Contains($"\"task\":\"{task}\"") && contribution.Manifest.Contains(DocumentTypes.ContributionManifestV3));
            taskEvents.OfType<RoundOpened>().ShouldAllBe(opened => opened.Strategy == strategy && opened.Invited.SequenceEqual(invited));
            // Its rounds ran at the same time as task default's: some round of it was open while a default round was.
            var taskSpans = Spans(taskEvents);
            Spans(defaults).ShouldContain(span => taskSpans.Any(other => other.Opened < span.Closed && span.Opened < other.Closed), $"a {task} round open while a default round was");

            // Each invited gateway trained the task with the task's own trainer and data (the decision's first check
            // names the trainer), downloaded its models by hash and reported on them under the task.
            foreach (var gateway in federation.GatewayProcesses.Keys)
            {
                var decisions = GatewayState.Open(Path.Combine(federation.Folder, gateway, "state")).Decisions()
                    .Where(decision => decision.Kind == "model-update" && decision.Allowed && decision.Subject.StartsWith($"task {task} round ", StringComparison.Ordinal)).ToList();
                decisions.Count.ShouldBe(invited.Contains(gateway) ? taskRounds : 0, $"{gateway} {task}");
                decisions.Select(decision => decision.Checks[0].Detail).ShouldAllBe(detail => detail.StartsWith($"trainer {trainer}: ") && detail.Contains($"vault entries of kind {kind}"));
                if (trainer == "external")
                {
                    decisions.Select(decision => decision.Checks[0].Detail).ShouldAllBe(detail =>
                        detail.Contains($"pinned as photo-cnn (SHA-256 {ProcessFederation.PhotoCnnHash})") && detail.Contains("confined by bubblewrap") && detail.Contains("stderr: DP-SGD on"));
                }
            }

            taskEvents.OfType<EvaluationRecorded>().Count().ShouldBeGreaterThanOrEqualTo(invited.Length, task);
            foreach (var gateway in invited)
            {
                foreach (var published in taskEvents.OfType<ModelVersionPublished>().Where(published => published.Version < taskRounds))
                {
                    File.Exists(Path.Combine(federation.Folder, gateway, "state", "models", $"{published.ModelSha256}.safetensors"))
                        .ShouldBeTrue($"{gateway} should hold version {published.Version} of {task}, the base of round {published.Version + 1}");
                }
            }
        }

        foreach (var gateway in federation.GatewayProcesses.Keys)
        {
            GatewayState.Open(Path.Combine(federation.Folder, gateway, "state")).Decisions()
                .Where(decision => decision.Kind == "model-update" && decision.Allowed && decision.Subject.StartsWith("round ", StringComparison.Ordinal))
                .Select(decision => decision.Checks[0].Detail)
                .ShouldAllBe(detail => detail.StartsWith("trainer fashion-mnist-split: "));
        }

        // An auditor checks every lineage offline, from a bundle alone.
        var bundle = Path.Combine(federation.Folder, "bundle");
        using var http = new HttpClient { BaseAddress = new Uri(federation.AggregatorUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ProcessFederation.OperatorToken);
        var logKey = (await http.GetStringAsync("/api/log/key")).Trim();
        var exported = await fedctl.RunAsync($"audit export --out {bundle} --with-payloads");
        exported.Code.ShouldBe(0, exported.Output + exported.Error);
        var verified = await fedctl.RunAsync("audit", "verify", bundle, "--log-key", logKey);
        verified.Code.ShouldBe(0, verified.Output + verified.Error);
        verified.Output.ShouldContain("VERIFIED");
        foreach (var (lineage, version) in tasks.Select(task => (task.Task, taskRounds)).Prepend((TaskIds.Default, ProcessFederation.Rounds)))
        {
            var recomputed = await fedctl.RunAsync($"audit reaggregate --bundle {bundle} --task {lineage} --model-version {version} --out {Path.Combine(federation.Folder, $"{lineage}-v{version}.safetensors")}");
            recomputed.Code.ShouldBe(0, recomputed.Output + recomputed.Error);
            recomputed.Output.ShouldContain("confirmed");
        }

        // From the bundle alone, every factory's spending per task is recomputed and agrees with the gateway's own ledger.
        var privacy = await fedctl.RunAsync($"audit privacy --bundle {bundle}");
        privacy.Code.ShouldBe(0, privacy.Output + privacy.Error);
        privacy.Output.ShouldNotContain("FLAGGED");
        var audited = Federation.Audit.Privacy.PrivacyAudit.Of(Federation.Audit.Bundles.AuditBundle.ReadHistory(bundle).Select(entry => entry.Event));
        foreach (var group in audited.GroupBy(release => (release.GatewayId, release.Task)))
        {
            var last = group.Last();
            var ledger = GatewayState.Open(Path.Combine(federation.Folder, group.Key.GatewayId, "state")).PrivacyLedger();
            ledger.Releases.Count(release => release.Task == group.Key.Task).ShouldBe(group.Count(), $"{group.Key}");
            var window = TimeSpan.FromSeconds(last.Signed.WindowSeconds);
            last.EpsilonInWindow.ShouldBe(ledger.Spent(last.At, window, last.Signed.Delta, group.Key.Task).Epsilon, 1e-9, $"{group.Key}");
        }

        audited.Select(release => release.Task).Distinct().Order().ShouldBe([TaskIds.Default, ProcessFederation.SecondTask, ProcessFederation.PhotoTask], ignoreOrder: true);
        audited.Where(release => release.Task == ProcessFederation.PhotoTask).ShouldAllBe(release => release.Signed.Mechanism == Contracts.Signing.ReleasePrivacy.DpSgd && release.Signed.Steps > 1);
        output.WriteLine(verified.Output);
        output.WriteLine(privacy.Output);
    }

    /// <summary>When each round of <paramref name="events"/> was open: from its opening to its close.</summary>
    private static List<(DateTimeOffset Opened, DateTimeOffset Closed)> Spans(IEnumerable<IFederationEvent> events)
    {
        var list = events.ToList();
        return [.. list.OfType<RoundOpened>().Join(list.OfType<RoundClosed>(), opened => opened.Round, closed => closed.Round, (opened, closed) => (opened.OpenedAt, closed.ClosedAt))];
    }
}
