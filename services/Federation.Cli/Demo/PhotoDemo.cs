using System.Diagnostics;
using System.Text.Json;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Coordination.Payloads;
using Federation.Coordination.Tasks;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Training;
using Federation.Vault;
using Federation.Vault.Datasets;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Federation.Cli.Demo;

/// <summary>
/// The photo CNN part of <c>fedctl demo</c>: fills each factory's vault with its photos, pins photo_cnn.py in each
/// policy, creates the task once the aggregator runs, trains the central anchor beside the federation, and prints the
/// task's rounds, each factory's and each lighting slice's accuracy, and the ε each factory spent.
/// </summary>
public sealed class PhotoDemo
{
    private readonly PhotoTask task;
    private readonly IReadOnlyList<VaultStore> vaults;
    private readonly IReadOnlyList<int> photoCounts;
    private readonly IReadOnlyList<int> dimCounts;
    private readonly byte[] initialModel;
    private readonly string folder;

    private PhotoDemo(PhotoTask task, IReadOnlyList<VaultStore> vaults, IReadOnlyList<int> photoCounts, IReadOnlyList<int> dimCounts, byte[] initialModel, string folder)
    {
        this.task = task;
        this.vaults = vaults;
        this.photoCounts = photoCounts;
        this.dimCounts = dimCounts;
        this.initialModel = initialModel;
        this.folder = folder;
        PolicySection = task.PolicySection(SafeTensors.Read(initialModel));
    }

    /// <summary>The photo task's section of every factory's policy.</summary>
    public string PolicySection { get; }

    /// <summary>Finds the PyTorch programs, fills the factories' vaults and makes version 0.</summary>
    /// <param name="settings">What the demo runs.</param>
    /// <param name="sites">Each factory's share of Fashion-MNIST, in factory order.</param>
    public static async Task<PhotoDemo> PrepareAsync(DemoSettings settings, IReadOnlyList<LocalData> sites)
    {
        var trainers = PyTorchTrainers.Find() ?? throw new InvalidOperationException(
            "fedctl demo trains the photo CNN with trainers/pytorch/photo_cnn.py but found no such folder above the working directory; run it from the repository (make demo), or pass --photo-rounds 0");
        var task = new PhotoTask(trainers, settings);
        var folder = Directory.CreateDirectory(Path.Combine(settings.DataDirectory, "photos")).FullName;
        var clock = Stopwatch.StartNew();
        var filled = await AnsiConsole.Status().StartAsync("Putting each factory's photos in its vault…", _ => Task.WhenAll(sites.Select((data, index) => Task.Run(() =>
            PhotoVaults.Fill(GatewayDirectory(settings, index), data, PhotoVaults.DimShare, settings.Seed + index)))));
        AnsiConsole.MarkupLine($"Each factory's photos are in its vault ({filled.Sum(fill => fill.Photos)} PNGs, {clock.Elapsed.TotalSeconds:0} s)");
        return new PhotoDemo(task, [.. filled.Select(fill => fill.Vault)], [.. filled.Select(fill => fill.Photos)], [.. filled.Select(fill => fill.Dim)], await task.InitialModelAsync(folder), folder);
    }

    /// <summary>Where factory number <paramref name="index"/> (from 0) keeps its state.</summary>
    public static string GatewayDirectory(DemoSettings settings, int index) => Path.Combine(settings.DataDirectory, "gateways", $"factory-{index + 1}");

    /// <summary>The photo task's trainer at factory number <paramref name="index"/> (from 0).</summary>
    public ILocalTrainer TrainerFor(int index, string workDirectory) => task.TrainerFor(vaults[index], workDirectory);

    /// <summary>Creates the task (the aggregator then runs its rounds by itself) and starts the central anchor.</summary>
    /// <param name="services">The running aggregator's services.</param>
    public async Task<PhotoRun> StartAsync(IServiceProvider services)
    {
        await services.GetRequiredService<TaskRegistry>().CreateAsync(task.Creation(initialModel), "demo", CancellationToken.None);
        return new PhotoRun(task.StartCentral(vaults, folder), Stopwatch.StartNew()) { Rounds = task.Settings.PhotoRounds, Factories = task.Settings.Factories };
    }

    /// <summary>The task running: the central anchor's process and the clock since the task was created.</summary>
    public sealed class PhotoRun(Process centralProcess, Stopwatch clock)
    {
        /// <summary>Waits until every round of the task published a version and every factory evaluated each.</summary>
        public async Task WaitAsync(EventHistory history, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                var rounds = await RoundSummaries.ReadAsync(history, PhotoTask.Id);
                var published = rounds.Where(row => row.ModelVersion is not null).ToList();
                if (rounds.Count(row => row.Outcome is not null) >= Rounds && published.All(row => row.LocalEvaluations >= Factories))
                {
                    Federated = clock.Elapsed;
                    return;
                }

                await Task.Delay(500);
            }

            throw new TimeoutException($"the photo task did not finish its {Rounds} rounds in {timeout.TotalMinutes:0} minutes");
        }

        /// <summary>Rounds the task runs.</summary>
        public int Rounds { get; init; }

        /// <summary>Factories taking part.</summary>
        public int Factories { get; init; }

        /// <summary>How long the federation took, from creating the task to the last evaluation.</summary>
        public TimeSpan Federated { get; private set; }

        /// <summary>Reads the task's rounds and metrics back from the history and scores every version on the test set.</summary>
        public async Task<PhotoResults> ResultsAsync(EventHistory history, PayloadStore payloads, PhotoDemo demo, IReadOnlyList<GatewayNode> gateways)
        {
            var rounds = await RoundSummaries.ReadAsync(history, PhotoTask.Id);
            var files = new List<string>();
            var metrics = new Dictionary<int, ModelMetrics>();
            foreach (var row in rounds.Where(row => row.ModelVersion is not null))
            {
                var file = Path.Combine(demo.folder, $"photo-cnn-v{row.ModelVersion}.safetensors");
                await File.WriteAllBytesAsync(file, await payloads.GetAsync(row.ModelSha256!));
                files.Add(file);
                metrics[row.ModelVersion!.Value] = await ModelMetricsQuery.ReadAsync(history, PhotoTask.Id, row.ModelVersion.Value);
            }

            var test = await demo.task.TestAccuraciesAsync(files);
            var central = JsonSerializer.Deserialize<CentralResult>(await PyTorchTrainers.FinishAsync(centralProcess), JsonSerializerOptions.Web)!;
            var spent = gateways.Select(gateway =>
            {
                var budget = gateway.Policy.Policy.RulesFor(PhotoTask.Id)!.Privacy!.Budget;
                return gateway.State.PrivacyLedger().Spent(DateTimeOffset.UtcNow, budget.Window, budget.Delta, PhotoTask.Id).Epsilon;
            }).ToList();
            return new PhotoResults(
                rounds,
                rounds.Where(row => row.ModelVersion is not null).Zip(files).ToDictionary(pair => pair.First.ModelVersion!.Value, pair => test[pair.Second]),
                metrics, central, spent, demo.dimCounts, demo.photoCounts, Federated);
        }
    }

    /// <summary>Prints the photo task's results.</summary>
    public static void Show(PhotoResults results, DemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(results);
        var factories = results.Spent.Count;
        var table = new Table().Title($"Task {PhotoTask.Id}: photo_cnn.py's CNN, DP-SGD at each factory (batch {settings.PhotoBatchSize}, lr {settings.PhotoLearningRate:G3}, C = 1, z = {settings.PhotoNoise:G3})")
            .AddColumns("Round", "Accepted", "Model", "Test accuracy (10k)", "Held out, all factories");
        for (int index = 0; index < factories; index++)
        {
            table.AddColumn($"factory-{index + 1}");
        }

        table.AddColumns(PhotoVaults.Dim, PhotoVaults.Normal);
        foreach (var row in results.Rounds)
        {
            var cells = new List<string> { row.Round.ToString(), row.AcceptedGateways.Count.ToString() };
            if (row.ModelVersion is { } version && results.Metrics.TryGetValue(version, out var metrics))
            {
                cells.Add($"v{version}");
                cells.Add($"{results.TestAccuracy[version]:P2}");
                cells.Add(Accuracy(metrics.Global, slice: null));
                for (int index = 0; index < factories; index++)
                {
                    var report = metrics.PerGateway.FirstOrDefault(report => report.GatewayId == $"factory-{index + 1}");
                    cells.Add(report?.Metrics.FirstOrDefault(metric => metric is { Name: "accuracy", Slice: null }) is { } metric ? $"{metric.Value:P1}" : "-");
                }

                cells.Add(Accuracy(metrics.Global, PhotoVaults.Dim));
                cells.Add(Accuracy(metrics.Global, PhotoVaults.Normal));
            }
            else
            {
                cells.AddRange(Enumerable.Repeat("-", 5 + factories));
            }

            table.AddRow([.. cells]);
        }

        AnsiConsole.Write(table);
        var sites = new Table().Title($"Task {PhotoTask.Id} at each factory").AddColumns("Factory", "Photos in its vault", PhotoVaults.Dim, "ε spent (δ = 1e-5, 30 days)");
        for (int index = 0; index < factories; index++)
        {
            sites.AddRow($"factory-{index + 1}", results.Photos[index].ToString(), $"{results.DimPhotos[index]} ({(double)results.DimPhotos[index] / results.Photos[index]:P0})", $"{results.Spent[index]:0.00} of 8");
        }

        AnsiConsole.Write(sites);
        var final = results.TestAccuracy.MaxBy(pair => pair.Key);
        var central = results.Central;
        var gap = (central.Accuracy - final.Value) * 100;
        AnsiConsole.MarkupLine($"Federated photo CNN after {results.Rounds.Count} rounds (v{final.Key}): [bold]{final.Value:P2}[/] on the 10,000 test images, every factory at ε ≤ {results.Spent.Max():0.00}; {results.Federated.TotalSeconds:0} s");
        AnsiConsole.MarkupLine($"Same CNN and DP-SGD trained centrally on the {central.Images} photos the factories train on, pooled ({central.Steps} steps, q = {central.SamplingRate:G3}, ε = {central.Epsilon:0.00}): [bold]{central.Accuracy:P2}[/]; {central.Seconds:0} s");
        AnsiConsole.MarkupLine(gap <= 2
            ? $"[green]Gap to central training with the same DP-SGD: {gap:0.00} points — within 2 points.[/]"
            : $"[yellow]Gap to central training with the same DP-SGD: {gap:0.00} points — more than 2 points behind.[/]");
    }

    private static string Accuracy(IEnumerable<WeightedMetric> metrics, string? slice) =>
        metrics.FirstOrDefault(metric => metric.Name == "accuracy" && metric.Slice == slice) is { } metric ? $"{metric.Value:P1} (n={metric.SampleCount})" : "-";
}

/// <summary>What the photo task did, read back from the history, the factories' ledgers and the central anchor.</summary>
/// <param name="Rounds">The task's rounds.</param>
/// <param name="TestAccuracy">Each published version's accuracy on the 10,000 test images.</param>
/// <param name="Metrics">Each published version's metrics as the factories reported them.</param>
/// <param name="Central">The central anchor.</param>
/// <param name="Spent">ε each factory spent on the task, in factory order.</param>
/// <param name="DimPhotos">Dim photos at each factory.</param>
/// <param name="Photos">Photos at each factory.</param>
/// <param name="Federated">Time from creating the task to the last evaluation.</param>
public sealed record PhotoResults(
    IReadOnlyList<RoundSummary> Rounds, IReadOnlyDictionary<int, double> TestAccuracy, IReadOnlyDictionary<int, ModelMetrics> Metrics,
    CentralResult Central, IReadOnlyList<double> Spent, IReadOnlyList<int> DimPhotos, IReadOnlyList<int> Photos, TimeSpan Federated);
