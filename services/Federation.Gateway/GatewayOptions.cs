using Federation.Contracts.Tasks;
using Federation.Site;
using Federation.Site.Training;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Gateway;

/// <summary>A gateway process's settings, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>Gateway id as enrolled with the aggregator.</summary>
    public string Id { get; set; } = "";

    /// <summary>The gateway's Ed25519 key file (readable only by the gateway's user).</summary>
    public string KeyFile { get; set; } = "";

    /// <summary>The factory's release policy file (YAML, see policies/example.yaml). Without a valid one nothing leaves.</summary>
    public string PolicyFile { get; set; } = "";

    /// <summary>
    /// Key id of the aggregator this gateway sends to (lowercase hex SHA-256 of its Ed25519 public key; the aggregator's
    /// key is <c>aggregator.key</c> in its data directory, and its API serves it at <c>/api/log/key</c>). The policy's
    /// <c>aggregatorKeys</c> must list it, or nothing leaves.
    /// </summary>
    public string AggregatorKeyId { get; set; } = "";

    /// <summary>
    /// Where the gateway keeps its state (<c>gateway.db</c>: decision record, outbox, sequence counter, ledgers).
    /// Must survive restarts and belong to this gateway alone.
    /// </summary>
    public string StateDirectory { get; set; } = "data/gateway";

    /// <summary>The on-site vault's limits (<c>Gateway:Vault:MaxAgeDays</c>, <c>MaxBytes</c>, <c>MaxFileBytes</c>, <c>PollSeconds</c>); the vault lives in <c>STATE/vault</c>.</summary>
    public VaultOptions Vault { get; set; } = new();

    /// <summary>
    /// What the gateway trains on (<c>Gateway:Training:Source</c>: <c>fashion-mnist-split</c>, <c>vault-photos</c>,
    /// <c>vault-press-fit</c>, <c>external</c>) and the trainer's settings: the trainer of task <c>default</c> and of every
    /// task without its own in <see cref="Tasks"/>.
    /// </summary>
    public LocalTrainingOptions Training { get; set; } = new();

    /// <summary>
    /// Tasks with their own trainer, by task id: <c>Gateway:Tasks:&lt;task&gt;:Training</c> takes the settings of
    /// <c>Gateway:Training</c> (e.g. <c>Gateway:Tasks:press-fit:Training:Source=vault-press-fit</c> beside a photo trainer).
    /// A key may spell the id's hyphens as '_' (<see cref="TaskIdOf"/>).
    /// </summary>
    public Dictionary<string, GatewayTaskOptions> Tasks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The task id a <see cref="Tasks"/> key names: the key with '_' read as '-'. systemd's environment files drop every
    /// variable whose name has a '-', so <c>Gateway__Tasks__press_fit__Training__Source</c> is how they name task
    /// <c>press-fit</c>; task ids never hold '_', so the reading is unambiguous.
    /// </summary>
    /// <param name="key">The key under <c>Gateway:Tasks</c>.</param>
    public static string TaskIdOf(string key) => key.Replace('_', '-');

    /// <summary>Folder holding the Fashion-MNIST files that stand in for inspection photos (<c>Gateway:Training:Source=fashion-mnist-split</c>).</summary>
    public string DataDirectory { get; set; } = FashionMnist.DefaultDirectory;

    /// <summary>How many sites the data set is dealt out to.</summary>
    public int Sites { get; set; } = 3;

    /// <summary>This gateway's site, from 0.</summary>
    public int Site { get; set; }

    /// <summary>Dirichlet concentration of the label skew.</summary>
    public double Alpha { get; set; } = 0.5;

    /// <summary>Seed of the split; every site must use the same one.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// The largest update payload sent inside its contribution message; larger ones are uploaded to
    /// <c>Gateway:Aggregator:BaseUrl</c> first (docs/FORMATS.md). Default 4 MiB; keep it well below the broker's max_message_size.
    /// </summary>
    public int PayloadChunkBytes { get; set; } = GatewayNode.DefaultPayloadChunkBytes;

    /// <summary>How to reach the aggregator's HTTPS API (<c>Gateway:Aggregator:BaseUrl</c>), where announced models are downloaded.</summary>
    public AggregatorConnectionOptions Aggregator { get; set; } = new();

    /// <summary>
    /// The trainers <see cref="Training"/> and <see cref="Tasks"/> name, reading <paramref name="vault"/> or this site's
    /// share of Fashion-MNIST (read once, and only if a trainer needs it).
    /// </summary>
    /// <param name="vault">The gateway's vault.</param>
    public TaskTrainers CreateTrainers(VaultStore vault)
    {
        var share = new Lazy<LocalData>(() => SiteSplit.Split(FashionMnist.LoadTraining(DataDirectory), Sites, Alpha, Seed)[Site]);
        ILocalTrainer Create(LocalTrainingOptions training, string section) => LocalTrainers.Create(training, vault, StateDirectory, () => share.Value, section);
        return new TaskTrainers(
            Create(Training, LocalTrainingOptions.Section),
            Tasks.ToDictionary(task => TaskIdOf(task.Key), task => Create(task.Value.Training!, LocalTrainingOptions.SectionOf(task.Key)), StringComparer.Ordinal));
    }

    /// <summary>Throws an error naming the setting to fix when the options cannot work.</summary>
    /// <exception cref="InvalidOperationException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new InvalidOperationException("Gateway:Id is empty; set it to the id enrolled with the aggregator.");
        }

        if (string.IsNullOrWhiteSpace(KeyFile))
        {
            throw new InvalidOperationException("Gateway:KeyFile is empty; point it at the gateway's Ed25519 key file.");
        }

        if (string.IsNullOrWhiteSpace(PolicyFile))
        {
            throw new InvalidOperationException("Gateway:PolicyFile is empty; nothing may leave without a policy. Point it at the factory's policy file (see policies/example.yaml).");
        }

        if (!Policies.PolicyHash.IsWellFormed(AggregatorKeyId))
        {
            throw new InvalidOperationException("Gateway:AggregatorKeyId must be the aggregator's key id (64 lowercase hex digits, the SHA-256 of its public key); nothing may leave without knowing who receives it.");
        }

        if (string.IsNullOrWhiteSpace(StateDirectory))
        {
            throw new InvalidOperationException("Gateway:StateDirectory is empty; point it at a folder that survives restarts (default data/gateway).");
        }

        Vault.Validate();
        Training.Validate();
        foreach (var (key, settings) in Tasks)
        {
            ValidateTask(key, settings);
        }

        if (Tasks.Keys.GroupBy(TaskIdOf).FirstOrDefault(keys => keys.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"{string.Join(" and ", twice.Order(StringComparer.Ordinal).Select(key => $"Gateway:Tasks:{key}"))} both name task {twice.Key}; keep one.");
        }

        if (Sites < 1 || Site < 0 || Site >= Sites)
        {
            throw new InvalidOperationException($"Gateway:Site must be between 0 and Gateway:Sites - 1 ({Sites - 1}); it is {Site}.");
        }

        if (!(Alpha > 0))
        {
            throw new InvalidOperationException("Gateway:Alpha must be positive.");
        }

        if (!string.IsNullOrWhiteSpace(Aggregator.BaseUrl)
            && !(Uri.TryCreate(Aggregator.BaseUrl, UriKind.Absolute, out var baseUrl) && baseUrl.Scheme is "https" or "http"))
        {
            throw new InvalidOperationException($"Gateway:Aggregator:BaseUrl must be an absolute https (or http) URL, e.g. https://aggregator.example/; it is '{Aggregator.BaseUrl}'.");
        }

        if (PayloadChunkBytes is < 1024 or > 64 << 20)
        {
            throw new InvalidOperationException($"Gateway:PayloadChunkBytes must be between 1024 and {64 << 20} (64 MiB); it is {PayloadChunkBytes}.");
        }
    }

    private static void ValidateTask(string key, GatewayTaskOptions settings)
    {
        if (TaskIds.Problem(TaskIdOf(key)) is { } problem)
        {
            throw new InvalidOperationException($"Gateway:Tasks:{key} does not name a task: {problem}");
        }

        if (TaskIdOf(key) == TaskIds.Default)
        {
            throw new InvalidOperationException($"Gateway:Tasks:{key} is task default, whose trainer is {LocalTrainingOptions.Section}; set it there.");
        }

        if (settings.Training is null)
        {
            throw new InvalidOperationException($"{LocalTrainingOptions.SectionOf(key)} is missing; a task's section holds its trainer's settings there (the keys of {LocalTrainingOptions.Section}).");
        }

        settings.Training.Validate(LocalTrainingOptions.SectionOf(key));
    }
}

/// <summary>One <c>Gateway:Tasks:&lt;task&gt;</c> section: what the gateway does differently for that task.</summary>
public sealed class GatewayTaskOptions
{
    /// <summary>The task's own trainer, with the settings of <c>Gateway:Training</c> (which trains every task without one).</summary>
    public LocalTrainingOptions? Training { get; set; }
}

/// <summary>The <c>Gateway:Aggregator</c> section.</summary>
public sealed class AggregatorConnectionOptions
{
    /// <summary>
    /// The aggregator's base URL, e.g. <c>https://aggregator.example/</c>. Without it the gateway cannot download the
    /// models rounds announce, and skips each such round with that reason.
    /// </summary>
    public string BaseUrl { get; set; } = "";
}
