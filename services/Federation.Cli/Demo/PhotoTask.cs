using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Tasks;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.Training;
using Federation.Vault;

namespace Federation.Cli.Demo;

/// <summary>
/// The demo's second task: the model team's own CNN for inspection photos (<c>trainers/pytorch/photo_cnn.py</c>;
/// Fashion-MNIST stands in for the photos), trained at each factory by that program — pinned by its hash in the
/// factory's policy, confined, running DP-SGD at the policy's limits — and, beside it, the same network and DP-SGD
/// trained centrally on the same photos pooled (<c>central_dp_sgd.py</c>), which no real factory would allow.
/// </summary>
/// <param name="Trainers">The repository's PyTorch programs.</param>
/// <param name="Settings">What the demo runs.</param>
public sealed record PhotoTask(PyTorchTrainers Trainers, DemoSettings Settings)
{
    /// <summary>The task id.</summary>
    public const string Id = "photos";

    /// <summary>Share of each factory's photos held out to evaluate published versions on.</summary>
    public const double HoldoutFraction = 0.1;

    /// <summary>The name the policies pin the trainer under.</summary>
    public const string TrainerName = "photo-cnn";

    /// <summary>The trainer hash of the <c>trainers/pytorch</c> folder, as factory IT computes it (docs/FORMATS.md).</summary>
    public string TrainerSha256 { get; } = TrainerHash.Of([Trainers.Folder]);

    /// <summary>Version 0, made as the model team makes it: <c>photo_cnn.py --init</c>.</summary>
    public async Task<byte[]> InitialModelAsync(string folder)
    {
        var path = Path.Combine(folder, "photo-cnn-v0.safetensors");
        await Trainers.RunAsync("photo_cnn.py", "--init", "--classes", "10", "--seed", Settings.Seed.ToString(CultureInfo.InvariantCulture), "--out", path);
        return await File.ReadAllBytesAsync(path);
    }

    /// <summary>The task as the model team creates it: every gateway invited, FedAvgM, <see cref="DemoSettings.PhotoRounds"/> rounds run by the aggregator.</summary>
    public TaskCreation Creation(byte[] model) => new(
        Id,
        "Inspection photos: photo_cnn.py's CNN, trained at each factory with DP-SGD",
        "photo-cnn-v0.safetensors",
        model,
        [],
        new TaskRoundPlan(
            // Server momentum: with each factory's labels skewed, FedAvgM (β = 0.5) went 84.7 % → 85.4 % over plain FedAvg
            // after 15 rounds in an exploratory simulation of this federation (one run each).
            "fedavgm", new Dictionary<string, double> { ["server_learning_rate"] = 1.0, ["server_momentum"] = 0.5 }, Settings.Factories, DurationSeconds: 1800, MaxUpdateNorm: null,
            new TrainingPlan(Settings.PhotoEpochs, Settings.PhotoBatchSize, Settings.PhotoLearningRate, Settings.Seed, ProximalMu: 0)),
        new TaskEvaluationPlan(["accuracy", "loss"], Gate: null),
        Settings.PhotoRounds);

    /// <summary>The trainer a factory runs for the task: photo_cnn.py on the photos in its vault, confined.</summary>
    /// <param name="vault">The factory's vault.</param>
    /// <param name="workDirectory">Where each run's files go.</param>
    public ExternalTrainer TrainerFor(VaultStore vault, string workDirectory) => new(
        vault, VaultKind.Photos, PyTorchTrainers.Python, [Trainers.PhotoCnn], TimeSpan.FromMinutes(20), workDirectory,
        new VaultPhotoTrainer(vault, VaultPhotoTrainer.DefaultLabels, HoldoutFraction))
    {
        Settings = $"Gateway:Tasks:{Id}:Training",
    };

    /// <summary>
    /// The task's section of a factory's policy: the CNN's tensors, DP-SGD at z = <see cref="DemoSettings.PhotoNoise"/>
    /// and C = 1 with a budget of ε = 8 at δ = 1e-5 over 30 days, and photo_cnn.py's folder pinned by its hash.
    /// </summary>
    /// <param name="model">Version 0, whose names and shapes are the allowlist.</param>
    public string PolicySection(TensorSet model) =>
        // The bound on the whole update is post-processing (no privacy cost); it sits far above what a round of DP-SGD moves
        // this network, so it only stops a runaway update instead of shrinking every one.
        PolicyTemplate.TasksSection((Id, model, new TemplateRules
        {
            MinimumSamples = 1000, MaxUpdateL2Norm = 100, MinNoiseMultiplier = Settings.PhotoNoise,
            Trainers = new Dictionary<string, string> { [TrainerName] = TrainerSha256 },
        }));

    /// <summary>
    /// Starts the central anchor: the same network and DP-SGD (batch, learning rate, z, C = 1) for as many epochs as
    /// the federation runs in all, on every photo the factories train on, pooled into one <c>data.json</c>.
    /// </summary>
    /// <param name="vaults">The factories' vaults.</param>
    /// <param name="folder">Where the pooled list goes.</param>
    public System.Diagnostics.Process StartCentral(IEnumerable<VaultStore> vaults, string folder)
    {
        var data = Path.Combine(folder, "pooled-photos.json");
        File.WriteAllBytes(data, JsonSerializer.SerializeToUtf8Bytes(new
        {
            kind = "photos",
            classes = VaultPhotoTrainer.DefaultLabels,
            entries = vaults.SelectMany(vault => vault.Entries(VaultKind.Photos)
                .Where(entry => !VaultHoldout.IsHeldOut(entry.Sha256, HoldoutFraction))
                .Select(entry => new { path = vault.ObjectPath(entry.Sha256), label = entry.Label, conditions = entry.Conditions })),
        }));
        return Trainers.Start(
            "central_dp_sgd.py", "--json", "--data", data,
            "--batch", Text(Settings.PhotoBatchSize), "--epochs", Text(Settings.PhotoRounds * Settings.PhotoEpochs),
            "--noise", Text(Settings.PhotoNoise), "--clip", "1", "--learning-rate", Text(Settings.PhotoLearningRate));
    }

    /// <summary>Each model file's accuracy on the 10,000 Fashion-MNIST test images (<c>test_accuracy.py</c>).</summary>
    public async Task<Dictionary<string, double>> TestAccuraciesAsync(IReadOnlyList<string> modelFiles) =>
        modelFiles.Count == 0
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, double>>(await Trainers.RunAsync("test_accuracy.py", [.. modelFiles]))!;

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What <c>central_dp_sgd.py --json</c> prints.</summary>
/// <param name="Accuracy">Accuracy on the 10,000 test images.</param>
/// <param name="Images">Photos it trained on.</param>
/// <param name="Epsilon">ε at <paramref name="Delta"/> (RDP over integer orders).</param>
/// <param name="Delta">δ.</param>
/// <param name="SamplingRate">Poisson sampling rate q.</param>
/// <param name="Steps">DP-SGD steps.</param>
/// <param name="Seconds">Training time.</param>
public sealed record CentralResult(double Accuracy, int Images, double Epsilon, double Delta, double SamplingRate, int Steps, double Seconds);
