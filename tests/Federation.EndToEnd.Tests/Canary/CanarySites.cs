using System.Security.Cryptography;
using Federation.Audit.ReadModels;
using Federation.Cli.Demo;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Tasks;
using Federation.Learning.Tensors;
using Federation.Policies;
using Microsoft.Extensions.DependencyInjection;
using Federation.Contracts.Api;
using Federation.Coordination.Models;
using Federation.Coordination.Rounds;
using Federation.Learning.Models;
using Federation.Site.Training;
using Federation.Site;
using Federation.Vault.PressFit;
using Federation.Vault;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>What the canary factories train on: both vault-fed trainers read canaried files.</summary>
public enum CanaryTraining
{
    /// <summary>The vault's inspection photos (<see cref="VaultPhotoTrainer"/>), labels <c>ok</c> and <c>scratch</c>.</summary>
    Photos,

    /// <summary>The vault's force curves (<see cref="VaultPressFitTrainer"/>), labels <c>good</c> and <c>faulty</c>.</summary>
    PressFit,

    /// <summary>
    /// The vault's inspection photos, trained and evaluated by the model team's PyTorch CNN (trainers/pytorch/photo_cnn.py)
    /// for task <see cref="CanarySites.CnnTask"/>: pinned by the policy, confined, running DP-SGD itself.
    /// </summary>
    PyTorch,
}

/// <summary>
/// The factories of the canary test: each has a vault filled through the real drop folder with canaried raw data of all
/// four kinds plus enough ordinary samples of the trained kind to pass the policy's minimum, and a gateway that trains
/// on that vault — so the canaried photos or force curves are among the very samples it trains on.
/// </summary>
public sealed class CanarySites
{
    public const int Sites = 2;
    public const int Rounds = 3;

    /// <summary>The task the PyTorch CNN is trained for; the other trainings run task default.</summary>
    public const string CnnTask = "canary-cnn";

    /// <summary>The name the policies pin photo_cnn.py's folder under.</summary>
    private const string CnnTrainerName = "photo-cnn";

    /// <summary>Ordinary samples of the trained kind per site: 70 % of them are above the policy's minimum of 100 training samples.</summary>
    private const int OrdinarySamples = 300;

    /// <summary>Held out for evaluation: enough for the evaluation's overall metrics to pass the policy's minimum of 50.</summary>
    public const double HoldoutFraction = 0.3;

    private CanarySites(CanaryTraining training, IReadOnlyList<GatewayNode> gateways, IReadOnlyList<VaultStore> vaults, IReadOnlyList<Secret> secrets, byte[]? cnnModel)
    {
        Training = training;
        CnnModel = cnnModel;
        Gateways = gateways;
        Vaults = vaults;
        Secrets = secrets;
    }

    /// <summary>What the gateways train on.</summary>
    public CanaryTraining Training { get; }

    public IReadOnlyList<GatewayNode> Gateways { get; }

    /// <summary>Each gateway's vault, in the order of <see cref="Gateways"/>.</summary>
    public IReadOnlyList<VaultStore> Vaults { get; }

    /// <summary>Every canary and raw record of every site, none of which may reach the bus.</summary>
    public IReadOnlyList<Secret> Secrets { get; }

    /// <summary>The model the aggregator starts from.</summary>
    public ModelOptions Model => ModelFor(Training);

    /// <summary>Version 0 of the CNN, as <c>photo_cnn.py --init</c> made it; null unless the sites train it.</summary>
    public byte[]? CnnModel { get; }

    /// <summary>The task whose rounds the sites run: <see cref="CnnTask"/> for the PyTorch CNN, otherwise task default.</summary>
    public string Task => Training == CanaryTraining.PyTorch ? CnnTask : TaskIds.Default;

    /// <summary>A logistic regression over the trainer's features, two classes.</summary>
    private static ModelOptions ModelFor(CanaryTraining training) => new()
    {
        Kind = ModelKind.LogisticRegression,
        Inputs = training == CanaryTraining.PressFit ? PressFitFeatures.Count : CanaryFiles.PhotoSide * CanaryFiles.PhotoSide,
        Classes = 2,
    };

    /// <summary>
    /// Task default's plan: three short rounds that close as soon as every site has contributed, or none when the
    /// sites run the CNN's task instead (<see cref="CreateCnnTaskAsync"/>).
    /// </summary>
    public RoundPlan Plan() => new()
    {
        Count = Training == CanaryTraining.PyTorch ? 0 : Rounds, MinParticipants = Sites, Duration = TimeSpan.FromSeconds(60), BatchSize = 32, LearningRate = 0.05,
    };

    /// <summary>Creates the CNN's task as the model team would, with the same three rounds as task default's plan.</summary>
    public Task CreateCnnTaskAsync(IServiceProvider services) =>
        services.GetRequiredService<TaskRegistry>().CreateAsync(
            new TaskCreation(
                CnnTask, "Canary photos through photo_cnn.py", "canary-cnn-v0.safetensors", CnnModel!, [],
                new TaskRoundPlan("fedavg", new Dictionary<string, double>(), Sites, DurationSeconds: 300, MaxUpdateNorm: null, new TrainingPlan(1, 32, 0.5, Seed: 1, ProximalMu: 0)),
                new TaskEvaluationPlan(["accuracy", "loss"], Gate: null),
                Rounds),
            "canary-test", CancellationToken.None);

    /// <summary>Makes the sites: canaried and ordinary files dropped into each vault and imported, then each site's gateway.</summary>
    public static async Task<CanarySites> CreateAsync(CanaryTraining training)
    {
        var cnnModel = training == CanaryTraining.PyTorch ? await CnnVersionZeroAsync() : null;
        var gateways = new List<GatewayNode>();
        var vaults = new List<VaultStore>();
        var secrets = new List<Secret>();
        for (var site = 0; site < Sites; site++)
        {
            var id = $"factory-{site + 1}";
            var folder = TestGateways.NewFolder(id);
            var vault = VaultStore.Open(Path.Combine(folder, "state"));
            var files = new CanaryFiles(id);
            files.CopyInto(vault);
            int ordinary = CopyOrdinarySamples(training, vault, site);
            FillThroughDropFolder(vault, files.Files.Count(file => !VaultImporter.IsSidecar(file.RelativePath)) + ordinary);
            secrets.AddRange(files.Secrets);

            var photos = new VaultPhotoTrainer(vault, labels: ["ok", "scratch"], holdoutFraction: HoldoutFraction);
            gateways.Add(training switch
            {
                CanaryTraining.Photos => TestGateways.Create(id, photos, ModelFor(training).ToSpec(), folder: folder),
                CanaryTraining.PressFit => TestGateways.Create(id, new VaultPressFitTrainer(vault, holdoutFraction: HoldoutFraction), ModelFor(training).ToSpec(), folder: folder),
                _ => TestGateways.Create(id, CnnTrainers(vault, photos, folder), ModelFor(training).ToSpec(), CnnPolicySection(cnnModel!), folder: folder),
            });
            vaults.Add(vault);
        }

        return new CanarySites(training, gateways, vaults, secrets, cnnModel);
    }

    private static async Task<byte[]> CnnVersionZeroAsync()
    {
        var path = Path.Combine(TestGateways.NewFolder("model-team"), "canary-cnn-v0.safetensors");
        await Trainers.RunAsync("photo_cnn.py", "--init", "--classes", "2", "--seed", "1", "--out", path);
        return await File.ReadAllBytesAsync(path);
    }

    private static PyTorchTrainers Trainers => PyTorchTrainers.Find() ?? throw new InvalidOperationException("trainers/pytorch is not above the test's working directory");

    /// <summary>Task default keeps its built-in trainer; the CNN's task runs photo_cnn.py on the same photos, confined.</summary>
    private static TaskTrainers CnnTrainers(VaultStore vault, VaultPhotoTrainer photos, string folder) =>
        new(photos, new Dictionary<string, ILocalTrainer>
        {
            [CnnTask] = new ExternalTrainer(vault, VaultKind.Photos, PyTorchTrainers.Python, [Trainers.PhotoCnn], TimeSpan.FromMinutes(5), Path.Combine(folder, "training"), photos),
        });

    /// <summary>The CNN's task in the factory's policy: its tensors, DP-SGD at z ≥ 1, and photo_cnn.py's folder pinned by its hash.</summary>
    private static string CnnPolicySection(byte[] model) =>
        PolicyTemplate.TasksSection((CnnTask, SafeTensors.Read(model), new TemplateRules
        {
            MaxUpdateL2Norm = 100, Trainers = new Dictionary<string, string> { [CnnTrainerName] = TrainerHash.Of([Trainers.Folder]) },
        }));

    /// <summary>
    /// Drops ordinary samples of the trained kind beside the canaried files: random-pixel photos labelled by folder, or
    /// generated press-fit curves with their label sidecars. Returns how many files the drop folder will take.
    /// </summary>
    private static int CopyOrdinarySamples(CanaryTraining training, VaultStore vault, int site)
    {
        if (training == CanaryTraining.PressFit)
        {
            PressFitFiles.Write(Path.Combine(vault.DropDirectory(VaultKind.Force), "generated"), OrdinarySamples, seed: site + 1, faultyShare: 0.3);
            return OrdinarySamples;
        }

        for (var index = 0; index < OrdinarySamples; index++)
        {
            var label = index % 2 == 0 ? "ok" : "scratch";
            var path = Path.Combine(vault.DropDirectory(VaultKind.Photos), label, $"ordinary-{index:000}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, CanaryFiles.Png($"ordinary {index}", RandomNumberGenerator.GetBytes(CanaryFiles.PhotoSide)));
        }

        return OrdinarySamples;
    }

    /// <summary>Lets the drop folder take what was copied into it, as the running gateway does; every file must be stored.</summary>
    private static void FillThroughDropFolder(VaultStore vault, int expected)
    {
        var dropFolder = new VaultDropFolder(new VaultImporter(vault));
        dropFolder.Scan(); // first sight: a file is taken only once it looks the same on the next scan
        var results = dropFolder.Scan();
        results.ShouldAllBe(result => result.Outcome == VaultImportOutcome.Stored, string.Join("\n", results.Select(result => $"{result.Source}: {result.Problem}")));
        results.Count.ShouldBe(expected);
        vault.Quarantined().ShouldBeEmpty();
    }

    /// <summary>Message ids of everything the gateways' outboxes have sent, by kind.</summary>
    public IReadOnlyList<(string Gateway, Guid MessageId, string Kind)> Sent() =>
        [.. Gateways.SelectMany(gateway => gateway.State.OutboxHistory()
            .Where(entry => entry.SentAt is not null)
            .Select(entry => (gateway.Id, entry.MessageId, entry.Kind)))];
}
