using System.CommandLine;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Evaluations;
using Federation.Coordination.History;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Federation.Coordination.Payloads;
using Federation.Coordination.Rounds;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using Federation.Messaging;
using Federation.Site.Hosting;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Site;
using Federation.Trust;
using Federation.Vault.Datasets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Federation.Cli.Demo;

/// <summary>
/// A whole federation on one machine: an aggregator and three factory gateways in one process
/// over MassTransit's in-memory bus, with the event history in SQLite. Prints each round, then
/// compares the federated model with the same model trained centrally on all the data.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds <c>fedctl demo</c>.</summary>
    public static Command Create()
    {
        var data = CommonOptions.Data("where to keep the event history and payloads (emptied first)");
        var rounds = new Option<int>("--rounds")
        {
            HelpName = "N",
            Description = "rounds to run",
            DefaultValueFactory = _ => 10,
            CustomParser = result =>
            {
                if (int.TryParse(result.Tokens[0].Value, out var count) && count >= 1)
                {
                    return count;
                }

                result.AddError("--rounds must be at least 1.");
                return 0;
            },
        };
        var model = new Option<string>("--model") { HelpName = "KIND", Description = "logistic-regression or mlp", DefaultValueFactory = _ => "logistic-regression" };
        model.AcceptOnlyFromAmong("logistic-regression", "mlp");
        var strategy = new Option<string>("--strategy") { HelpName = "NAME", Description = "aggregation strategy (see rounds open --help)", DefaultValueFactory = _ => "fedavg" };
        var parameters = StrategyArguments.Option();
        var photoRounds = new Option<int>("--photo-rounds")
        {
            HelpName = "N",
            Description = "rounds of the photo CNN task (trainers/pytorch/photo_cnn.py with DP-SGD at each factory); 0 leaves it out",
            DefaultValueFactory = _ => new DemoSettings("", 1, ModelKind.LogisticRegression, "fedavg", []).PhotoRounds,
        };
        photoRounds.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--photo-rounds must be 0 or more.");
            }
        });
        var demo = new Command("demo", "run a whole federation on this machine (in-memory bus, SQLite store)") { data, rounds, model, strategy, parameters, photoRounds };
        demo.SetAction(parsed => RunAsync(new DemoSettings(
            Path.GetFullPath(parsed.GetValue(data)!),
            parsed.GetValue(rounds),
            parsed.GetValue(model) == "mlp" ? ModelKind.Mlp : ModelKind.LogisticRegression,
            parsed.GetValue(strategy)!,
            parsed.GetValue(parameters) ?? [])
        {
            PhotoRounds = parsed.GetValue(photoRounds),
        }));
        return demo;
    }

    /// <summary>Runs the demo; returns the process exit code.</summary>
    public static async Task<int> RunAsync(DemoSettings settings)
    {
        ResetDataDirectory(settings.DataDirectory);
        AnsiConsole.MarkupLine($"[bold]Federation demo[/]: {settings.Factories} factories, {settings.Rounds} rounds, {settings.Model}, {settings.Strategy}, data in [blue]{settings.DataDirectory}[/]");

        var training = FashionMnist.LoadTraining();
        var test = FashionMnist.LoadTest();
        var sites = SiteSplit.Split(training, settings.Factories, settings.Alpha, settings.Seed);
        var aggregatorKeyId = CreateAggregatorKey(settings);
        var photos = settings.PhotoRounds > 0 ? await PhotoDemo.PrepareAsync(settings, sites) : null;
        var gateways = CreateGateways(settings, sites, ModelSpecFor(settings, training), aggregatorKeyId, photos);
        ShowSites(gateways, sites);

        var options = AggregatorOptionsFor(settings, gateways);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddFederationBus(builder.Configuration, bus =>
        {
            bus.AddAggregatorConsumers();
            bus.AddGatewayConsumers("demo-gateways");
        });
        builder.Services.AddAggregator(options);
        // The gateways share the aggregator's process, so they read announced models from its payload store.
        builder.Services.AddGateways(
            gateways,
            modelSource: (provider, _) => new PayloadStoreModelSource(provider.GetRequiredService<PayloadStore>()),
            payloadDestination: (provider, _) => new PayloadUploadsDestination(provider.GetRequiredService<PayloadUploads>()));

        using var host = builder.Build();
        await host.StartAsync();
        var history = host.Services.GetRequiredService<EventHistory>();
        var photoRun = photos is null ? null : await photos.StartAsync(host.Services);
        await AnsiConsole.Status().StartAsync(photos is null ? "Running rounds…" : "Running rounds of both tasks, and the photo CNN centrally beside them…", async _ =>
        {
            await host.Services.GetRequiredService<FederationProgress>().PlanCompleted.WaitAsync(TimeSpan.FromMinutes(20));
            await WaitForEvaluationsAsync(history, gateways.Count, TimeSpan.FromSeconds(30));
            if (photoRun is not null)
            {
                await photoRun.WaitAsync(history, TimeSpan.FromMinutes(30));
            }
        });
        var photoResults = photoRun is null ? null : await photoRun.ResultsAsync(history, host.Services.GetRequiredService<PayloadStore>(), photos!, gateways);
        var summaries = await RoundSummaries.ReadAsync(history);
        var testAccuracies = await TestAccuraciesAsync(summaries, host.Services.GetRequiredService<PayloadStore>(), test);
        var finalModel = host.Services.GetRequiredService<RoundCoordinator>().CurrentModel;
        var finalMetrics = await ModelMetricsQuery.ReadAsync(history, finalModel.Version);
        var eventCount = await history.Store.GetLastPositionAsync();
        await host.StopAsync();

        ShowRounds(summaries, testAccuracies);
        ShowFactoryMetrics(finalMetrics);
        var federatedAccuracy = testAccuracies.GetValueOrDefault(finalModel.Sha256);
        // The gateways trained with DP-SGD at their policy's limits; the honest central baseline does the same, and
        // plain SGD is shown beside it so the cost of the privacy is visible too.
        var privacy = gateways[0].Policy.Policy.Privacy!;
        var centralPrivate = AnsiConsole.Status().Start("Training the same model centrally on all the data with the same DP-SGD…", _ => TrainCentrally(settings, training, test, privacy));
        var centralPlain = AnsiConsole.Status().Start("Training the same model centrally on all the data without DP…", _ => TrainCentrally(settings, training, test, privacy: null));
        ShowComparison(federatedAccuracy, centralPrivate, centralPlain, privacy, settings);
        ShowDecisions(gateways);
        if (photoResults is not null)
        {
            PhotoDemo.Show(photoResults, settings);
        }

        AnsiConsole.MarkupLine($"\n[bold]{eventCount}[/] events written to [blue]{Path.Combine(options.DataDirectory, "events.db")}[/]");
        AnsiConsole.MarkupLine($"Look at them with: [green]dotnet run --project services/Federation.Cli -- events --data {settings.DataDirectory}[/]");
        return 0;
    }

    private static void ResetDataDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
    }

    private static string CreateAggregatorKey(DemoSettings settings)
    {
        // Made before the aggregator starts (which then loads it), because each factory's policy
        // names the one aggregator key allowed to receive its updates.
        var path = Path.Combine(settings.DataDirectory, "aggregator", "aggregator.key");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var key = Ed25519KeyPair.Generate();
        Ed25519KeyFile.Save(path, key);
        return key.KeyId;
    }

    private static List<GatewayNode> CreateGateways(DemoSettings settings, IReadOnlyList<LocalData> sites, ModelSpec spec, string aggregatorKeyId, PhotoDemo? photos)
    {
        var keys = Path.Combine(settings.DataDirectory, "keys");
        Directory.CreateDirectory(keys);
        return sites.Select((data, index) =>
        {
            var id = $"factory-{index + 1}";
            var key = Ed25519KeyPair.Generate();
            Ed25519KeyFile.Save(Path.Combine(keys, $"{id}.key"), key);
            var policy = DemoPolicy.Write(Path.Combine(settings.DataDirectory, "policies", $"{id}.yaml"), id, spec, aggregatorKeyId, DateTimeOffset.UtcNow.AddYears(1), photos?.PolicySection);
            // Each gateway keeps its own state (decision record, outbox, sequence, privacy ledger), as it would on its own box.
            var stateDirectory = Path.Combine(settings.DataDirectory, "gateways", id);
            var state = GatewayState.Open(stateDirectory);
            var trainers = photos is null
                ? new TaskTrainers(new DatasetTrainer(data))
                : new TaskTrainers(new DatasetTrainer(data), new Dictionary<string, ILocalTrainer> { [PhotoTask.Id] = photos.TrainerFor(index, Path.Combine(stateDirectory, "training")) });
            return new GatewayNode(id, key, policy, trainers, TimeProvider.System, aggregatorKeyId, state);
        }).ToList();
    }

    private static AggregatorOptions AggregatorOptionsFor(DemoSettings settings, IEnumerable<GatewayNode> gateways) => new()
    {
        DataDirectory = Path.Combine(settings.DataDirectory, "aggregator"),
        Model = new ModelOptions { Kind = settings.Model, Hidden = settings.Hidden, Seed = settings.Seed },
        Rounds = new RoundPlan
        {
            Count = settings.Rounds,
            Strategy = settings.Strategy,
            StrategyParameters = settings.StrategyParameters,
            MinParticipants = settings.Factories,
            Duration = TimeSpan.FromMinutes(5),
            Epochs = settings.LocalEpochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
        },
        Gateways = gateways.Select(gateway => new GatewayEnrolment { Id = gateway.Id, PublicKey = Convert.ToBase64String(gateway.PublicKey.Span), AllowedPolicies = [gateway.Policy.Hash] }).ToList(),
    };

    private static async Task WaitForEvaluationsAsync(EventHistory history, int gateways, TimeSpan timeout)
    {
        // Gateways evaluate each published version after the last round closes; give the last
        // reports a moment to arrive so the table is complete.
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var summaries = await RoundSummaries.ReadAsync(history);
            if (summaries.Where(row => row.ModelVersion is not null).All(row => row.LocalEvaluations >= gateways))
            {
                return;
            }

            await Task.Delay(200);
        }
    }

    private static void ShowSites(IReadOnlyList<GatewayNode> gateways, IReadOnlyList<LocalData> sites)
    {
        var table = new Table().Title("Each factory keeps its own data (non-IID: label skew)").AddColumns("Factory", "Training", "Held out", "Most common labels");
        foreach (var (gateway, data) in gateways.Zip(sites))
        {
            var labels = data.Training.Labels;
            var top = labels.CountBy(label => label).OrderByDescending(pair => pair.Value).Take(3)
                .Select(pair => $"{FashionMnist.ClassNames[pair.Key]} {100.0 * pair.Value / labels.Length:0}%");
            table.AddRow(gateway.Id, data.Training.Count.ToString(), data.Holdout.Count.ToString(), string.Join(", ", top));
        }

        AnsiConsole.Write(table);
    }

    private static async Task<Dictionary<string, double>> TestAccuraciesAsync(
        IEnumerable<RoundSummary> summaries, PayloadStore payloads, Dataset test)
    {
        // The model team's view: every published version, scored on the 10,000-image test set
        // that no factory holds.
        var accuracies = new Dictionary<string, double>();
        foreach (var sha256 in summaries.Select(row => row.ModelSha256).OfType<string>())
        {
            var parameters = SafeTensors.Read(await payloads.GetAsync(sha256));
            accuracies[sha256] = Evaluator.Evaluate(ModelSpec.FromParameters(parameters), parameters, test).Accuracy;
        }

        return accuracies;
    }

    private static void ShowRounds(IReadOnlyList<RoundSummary> summaries, IReadOnlyDictionary<string, double> testAccuracies)
    {
        var table = new Table().Title("Rounds (read back from the event history)")
            .AddColumns("Round", "Participants", "Accepted", "Rejected", "Outcome", "Model", "Test accuracy (10k)", "Local accuracy (reported)");
        table.Columns[1].NoWrap();
        foreach (var row in summaries)
        {
            table.AddRow(
                row.Round.ToString(),
                string.Join(" ", row.AcceptedGateways),
                row.AcceptedGateways.Count.ToString(),
                row.Rejections.Count == 0 ? "0" : $"{row.Rejections.Count} ({string.Join(", ", row.Rejections.Distinct())})",
                row.Outcome?.ToString() ?? "open",
                row.ModelVersion is { } version ? $"v{version}" : "-",
                row.ModelSha256 is { } sha256 ? $"{testAccuracies[sha256]:P2}" : "-",
                row.LocalAccuracy is { } local ? $"{local:P2} ({row.LocalEvaluations} sites)" : "-");
        }

        AnsiConsole.Write(table);
    }

    private static void ShowFactoryMetrics(ModelMetrics metrics)
    {
        var table = new Table().Title($"Model v{metrics.ModelVersion} as each factory measured it on its own held-out data (signed reports)")
            .AddColumns("Factory", "Accuracy", "Loss", "Samples", "Weakest class", "Strongest class");
        foreach (var report in metrics.PerGateway.OrderBy(report => report.GatewayId, StringComparer.Ordinal))
        {
            var overall = report.Metrics.Where(metric => metric.Slice is null).ToDictionary(metric => metric.Name);
            var classes = report.Metrics.Where(metric => metric is { Name: "accuracy", Slice: not null }).OrderBy(metric => metric.Value).ToList();
            table.AddRow(
                report.GatewayId,
                $"{overall["accuracy"].Value:P2}",
                $"{overall["loss"].Value:0.000}",
                overall["accuracy"].SampleCount.ToString(),
                classes.Count > 0 ? ClassSlice(classes[0]) : "-",
                classes.Count > 0 ? ClassSlice(classes[^1]) : "-");
        }

        var global = metrics.Global.FirstOrDefault(metric => metric is { Name: "accuracy", Slice: null });
        AnsiConsole.Write(table);
        if (global is not null)
        {
            AnsiConsole.MarkupLine($"All factories together (weighted by samples): {global.Value:P2} over {global.SampleCount} held-out samples");
        }
    }

    private static string ClassSlice(Federation.Contracts.Signing.MetricValue metric) =>
        int.TryParse(metric.Slice!["class=".Length..], out var label) && label < FashionMnist.ClassNames.Count
            ? $"{FashionMnist.ClassNames[label]} {metric.Value:P0} (n={metric.SampleCount})"
            : $"{metric.Slice} {metric.Value:P0}";

    private static ModelSpec ModelSpecFor(DemoSettings settings, Dataset training) =>
        settings.Model == ModelKind.Mlp
            ? ModelSpec.Mlp(training.FeatureCount, settings.Hidden, training.ClassCount)
            : ModelSpec.LogisticRegression(training.FeatureCount, training.ClassCount);

    private static double TrainCentrally(DemoSettings settings, Dataset training, Dataset test, Federation.Policies.PrivacyRule? privacy)
    {
        var spec = ModelSpecFor(settings, training);
        var (learningRate, batchSize) = privacy is null ? settings.PlainBaseline : (settings.LearningRate, settings.BatchSize);
        var options = new TrainingOptions(settings.Rounds * settings.LocalEpochs, batchSize, (float)learningRate, settings.Seed)
        {
            DifferentialPrivacy = privacy is null ? null : new DifferentialPrivacy(privacy.MaxExampleL2Norm, privacy.MinNoiseMultiplier, Federation.Learning.Privacy.CounterModeRandom.NewSeed()),
        };
        var parameters = SgdTrainer.Train(spec, spec.Initialize(settings.Seed), training, options);
        return Evaluator.Evaluate(spec, parameters, test).Accuracy;
    }

    private static void ShowComparison(double federated, double centralPrivate, double centralPlain, Federation.Policies.PrivacyRule privacy, DemoSettings settings)
    {
        var dp = $"DP-SGD, C = {privacy.MaxExampleL2Norm:G3}, z = {privacy.MinNoiseMultiplier:G3}";
        var gap = (centralPrivate - federated) * 100;
        AnsiConsole.MarkupLine($"\nFederated model after {settings.Rounds} rounds ({dp} at every factory): [bold]{federated:P2}[/] test accuracy");
        AnsiConsole.MarkupLine($"Same model trained centrally with the same {dp} ({settings.Rounds * settings.LocalEpochs} epochs on all 60,000 images): [bold]{centralPrivate:P2}[/]");
        AnsiConsole.MarkupLine($"Same model trained centrally without DP (plain SGD, lr {settings.PlainBaseline.LearningRate:G3}, batch {settings.PlainBaseline.BatchSize}; no privacy at all): [bold]{centralPlain:P2}[/]");
        AnsiConsole.MarkupLine(gap <= 2
            ? $"[green]Gap to central training with the same DP: {gap:0.00} points — within 2 points, without any factory sharing its data.[/]"
            : $"[yellow]Gap to central training with the same DP: {gap:0.00} points — more than 2 points behind.[/]");
    }

    private static void ShowDecisions(IReadOnlyList<GatewayNode> gateways)
    {
        var table = new Table().Title("What each factory's policy let out (its own decision record, gateway.db)")
            .AddColumns("Factory", "Allowed", "Denied", "Last sequence", "ε spent (30 days)", "Read it with");
        foreach (var gateway in gateways)
        {
            var decisions = gateway.State.Decisions();
            var budget = gateway.Policy.Policy.Privacy!.Budget;
            var spent = gateway.State.PrivacyLedger().Spent(DateTimeOffset.UtcNow, budget.Window, budget.Delta).Epsilon;
            table.AddRow(
                gateway.Id,
                decisions.Count(decision => decision.Allowed).ToString(),
                decisions.Count(decision => !decision.Allowed).ToString(),
                gateway.State.LastSequence().ToString(),
                $"{spent:0.00} of {budget.Epsilon:G3}",
                Markup.Escape($"fedctl gateway decisions --state {gateway.State.Directory}"));
        }

        AnsiConsole.Write(table);
    }
}
