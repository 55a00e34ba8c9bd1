using System.Globalization;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
using Federation.Coordination.History;
using Federation.EventStore.Postgres;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.State;
using Federation.Site;
using Federation.Trust;
using Federation.Vault;
using Federation.Vault.Datasets;
using Federation.Vault.PressFit;
using Microsoft.Extensions.Configuration;

namespace Federation.EndToEnd.Tests.MultiProcess;

/// <summary>
/// A federation as production runs it: one aggregator process on PostgreSQL and one process per
/// gateway, all over RabbitMQ, configured only through environment variables. Keys, policies and
/// seeds are fixed, so <see cref="EmbeddedReferenceAsync"/> can run the very same federation in
/// one process (in-memory bus, SQLite) and the two final models can be compared byte for byte.
/// </summary>
internal sealed class ProcessFederation : IAsyncDisposable
{
    public const int Gateways = 3;
    public const int Rounds = 3;
    private const int Seed = 42;
    private const double Alpha = 0.5;

    private readonly string directory = Path.Combine(Path.GetTempPath(), $"federation-processes-{Guid.NewGuid():N}");
    private readonly DedicatedBroker broker;
    private readonly List<HostProcess> gateways = [];

    public ProcessFederation(DedicatedBroker broker)
    {
        this.broker = broker;
        Schema = $"e2e_{Guid.NewGuid():N}";
        Directory.CreateDirectory(directory);
        AggregatorKeyFile = Path.Combine(directory, "aggregator", "aggregator.key");
        Directory.CreateDirectory(Path.GetDirectoryName(AggregatorKeyFile)!);
        using var aggregatorKey = Ed25519KeyPair.FromSeed(FixedSeed(0xA0));
        Ed25519KeyFile.Save(AggregatorKeyFile, aggregatorKey);
        AggregatorKeyId = aggregatorKey.KeyId;
        AggregatorUrl = $"http://127.0.0.1:{FreeTcpPort()}/";
        for (var site = 0; site < Gateways; site++)
        {
            var id = GatewayId(site);
            using var key = Ed25519KeyPair.FromSeed(FixedSeed(site + 1));
            Ed25519KeyFile.Save(KeyFile(id), key);
            File.WriteAllText(PolicyFile(id), Policy(id));
        }
    }

    /// <summary>
    /// The second task every factory's policy names: the press-fit MLP over force curves, which each gateway trains with
    /// its own press-fit trainer (<c>Gateway:Tasks:press-fit:Training</c>) on the curves in its vault, beside its
    /// Fashion-MNIST trainer for task default (<c>Gateway:Training</c>).
    /// </summary>
    public const string SecondTask = "press-fit";

    /// <summary>The second task's initial model, as the model team registers it.</summary>
    public static TensorSet SecondTaskModel { get; } = PressFitModel.Spec.Initialize(7);

    /// <summary>
    /// The third task every factory's policy names: the model team's own photo CNN, made by the reference PyTorch trainer
    /// (<c>trainers/pytorch/photo_cnn.py --init</c>), none of the built-in layouts; each gateway trains and evaluates it
    /// with that program as its external trainer (<c>Gateway:Tasks:weld-photos:Training</c>) on the photos in its vault.
    /// </summary>
    public const string PhotoTask = "weld-photos";

    /// <summary>The photo task's version 0, as <c>photo_cnn.py --init --seed 11</c> writes it (made once per test run).</summary>
    public static byte[] PhotoTaskModelFile => PhotoCnnInit.Value;

    /// <summary>The Fashion-MNIST photos (PNG, labelled by folder) each factory's vault gets from <see cref="StockPhotos"/>.</summary>
    public const int Photos = 240;

    /// <summary>The share of photos each gateway holds out: 0.3 of 240 leaves about 70 to evaluate on (the policy wants 50) and 170 to train on (it wants 100).</summary>
    public const double PhotoHoldout = 0.3;

    private static readonly Lazy<byte[]> PhotoCnnInit = new(() =>
    {
        var file = Path.Combine(Path.GetTempPath(), $"photo-cnn-{Guid.NewGuid():N}.safetensors");
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { PhotoCnnProgram, "--init", "--classes", "10", "--seed", "11", "--out", file })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"photo_cnn.py --init failed ({process.ExitCode}): {error}");
        }

        var bytes = File.ReadAllBytes(file);
        File.Delete(file);
        return bytes;
    });

    private static string PhotoCnnProgram => Path.Combine(Repository.Root, "trainers", "pytorch", "photo_cnn.py");

    /// <summary>The trainer hash of trainers/pytorch, which every factory's policy pins for the photo task.</summary>
    public static string PhotoCnnHash => Federation.Site.Training.TrainerHash.Of([Path.GetDirectoryName(PhotoCnnProgram)!]);

    /// <summary>The press-fit curves each factory's vault gets from <see cref="StockPressFitCurves"/>.</summary>
    public const int PressFitCurves = 300;

    /// <summary>
    /// The share of press-fit curves each gateway holds out: 0.3 of 300 leaves about 90 to evaluate on (the policy wants
    /// 50 per metric) and about 210 to train on (it wants 100).
    /// </summary>
    public const double PressFitHoldout = 0.3;

    /// <summary>The operator token the aggregator accepts (credential <c>model-team</c>).</summary>
    public const string OperatorToken = "e2e-operator-token";

    /// <summary>The folder holding every process's files.</summary>
    public string Folder => directory;

    public string Schema { get; }

    public string AggregatorKeyFile { get; }

    public string AggregatorKeyId { get; }

    public HostProcess? Aggregator { get; private set; }

    /// <summary>
    /// The aggregator's API, on a port fixed before anything starts: the gateways, started first, download announced
    /// models from it, and a restarted aggregator must be found where the killed one was.
    /// </summary>
    public string AggregatorUrl { get; }

    /// <summary>The gateway processes by id.</summary>
    public Dictionary<string, HostProcess> GatewayProcesses { get; } = [];

    public static string ConnectionString { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_POSTGRES") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Port=55432;Username=federation;Password=federation;Database=federation";

    public static string GatewayId(int site) => $"factory-{site + 1}";

    /// <summary>Starts (or restarts, after a kill) the aggregator process.</summary>
    public HostProcess StartAggregator()
    {
        var environment = broker.BusSettings("aggregator");
        environment["Urls"] = AggregatorUrl;
        environment["Aggregator__DataDirectory"] = Path.Combine(directory, "aggregator");
        environment["Aggregator__Log__KeyFile"] = AggregatorKeyFile;
        environment["Aggregator__EventStore__Kind"] = "Postgres";
        environment["Aggregator__EventStore__ConnectionString"] = ConnectionString;
        environment["Aggregator__EventStore__Schema"] = Schema;
        foreach (var (key, value) in PlanSettings())
        {
            environment[$"Aggregator__Rounds__{key}"] = value;
        }

        for (var site = 0; site < Gateways; site++)
        {
            var id = GatewayId(site);
            using var key = Ed25519KeyFile.Load(KeyFile(id));
            environment[$"Aggregator__Gateways__{site}__Id"] = id;
            environment[$"Aggregator__Gateways__{site}__PublicKey"] = Convert.ToBase64String(key.PublicKey.Span);
            environment[$"Aggregator__Gateways__{site}__AllowedPolicies__0"] = PolicyLoader.Load(PolicyFile(id)).Hash;
        }

        environment["Aggregator__Api__Credentials__0__Name"] = "model-team";
        environment["Aggregator__Api__Credentials__0__Role"] = "operator";
        environment["Aggregator__Api__Credentials__0__TokenSha256"] = Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(OperatorToken));
        Aggregator = HostProcess.Start("aggregator", "Federation.Aggregator", environment);
        return Aggregator;
    }

    /// <summary>
    /// When set, the gateways send updates larger than this many bytes apart from their contribution, uploaded to the
    /// aggregator process over loopback HTTP (<c>Gateway:PayloadChunkBytes</c>); else the default 4 MiB keeps them inline.
    /// </summary>
    public int? UploadAbove { get; set; }

    /// <summary>Puts <see cref="PressFitCurves"/> labelled press-fit curves of its own into each factory's vault, before its gateway starts.</summary>
    public void StockPressFitCurves()
    {
        for (var site = 0; site < Gateways; site++)
        {
            var id = GatewayId(site);
            var incoming = Path.Combine(SiteDirectory(id), "press-fit-curves");
            PressFitFiles.Write(incoming, count: PressFitCurves, seed: site + 1, faultyShare: 0.3);
            var vault = VaultStore.Open(Path.Combine(directory, id, "state"));
            new VaultImporter(vault).ImportAll(VaultKind.Force, [incoming]);
        }
    }

    /// <summary>
    /// Puts <see cref="Photos"/> Fashion-MNIST images of its own (a different stretch of the training set per factory) into
    /// each factory's vault as PNG photos, labelled by folder with the class name, before its gateway starts.
    /// </summary>
    public void StockPhotos()
    {
        var images = FashionMnist.LoadTraining();
        for (var site = 0; site < Gateways; site++)
        {
            var id = GatewayId(site);
            var incoming = Path.Combine(SiteDirectory(id), "photos");
            for (var index = site * Photos; index < (site + 1) * Photos; index++)
            {
                var label = Federation.Site.Training.VaultPhotoTrainer.DefaultLabels[images.Labels[index]];
                var pixels = images.FeaturesOf(index).ToArray().Select(value => (byte)Math.Round(value * 255)).ToArray();
                var folder = Directory.CreateDirectory(Path.Combine(incoming, label)).FullName;
                File.WriteAllBytes(Path.Combine(folder, $"photo-{index}.png"), GrayPng.Encode(28, 28, pixels, $"fashion-mnist {index}"));
            }

            var vault = VaultStore.Open(Path.Combine(directory, id, "state"));
            new VaultImporter(vault).ImportAll(VaultKind.Photos, [incoming]);
        }
    }

    /// <summary>Starts one process per gateway (of <paramref name="sites"/>, or all), each signed in to the broker as itself.</summary>
    public void StartGateways(params int[] sites)
    {
        foreach (var site in sites.Length > 0 ? sites : Enumerable.Range(0, Gateways))
        {
            var id = GatewayId(site);
            var environment = broker.BusSettings(id);
            environment["Gateway__Id"] = id;
            environment["Gateway__KeyFile"] = KeyFile(id);
            environment["Gateway__PolicyFile"] = PolicyFile(id);
            environment["Gateway__StateDirectory"] = Path.Combine(directory, id, "state");
            environment["Gateway__AggregatorKeyId"] = AggregatorKeyId;
            environment["Gateway__Aggregator__BaseUrl"] = AggregatorUrl;
            environment["Gateway__Sites"] = Gateways.ToString(CultureInfo.InvariantCulture);
            environment["Gateway__Site"] = site.ToString(CultureInfo.InvariantCulture);
            environment["Gateway__Alpha"] = Alpha.ToString(CultureInfo.InvariantCulture);
            environment["Gateway__Seed"] = Seed.ToString(CultureInfo.InvariantCulture);
            // The second task's own trainer, spelt as a systemd environment file must ('_' for the id's '-').
            environment["Gateway__Tasks__press_fit__Training__Source"] = "vault-press-fit";
            environment["Gateway__Tasks__press_fit__Training__HoldoutFraction"] = PressFitHoldout.ToString(CultureInfo.InvariantCulture);
            // The photo task's trainer: the model team's PyTorch program, run by Debian's Python.
            environment["Gateway__Tasks__weld_photos__Training__Source"] = "external";
            environment["Gateway__Tasks__weld_photos__Training__Kind"] = "photos";
            environment["Gateway__Tasks__weld_photos__Training__Command"] = "/usr/bin/python3";
            environment["Gateway__Tasks__weld_photos__Training__Arguments__0"] = PhotoCnnProgram;
            environment["Gateway__Tasks__weld_photos__Training__HoldoutFraction"] = PhotoHoldout.ToString(CultureInfo.InvariantCulture);
            environment["Gateway__Tasks__weld_photos__Training__TimeoutSeconds"] = "300";
            if (UploadAbove is { } limit)
            {
                environment["Gateway__PayloadChunkBytes"] = limit.ToString(CultureInfo.InvariantCulture);
            }

            var process = HostProcess.Start(id, "Federation.Gateway", environment);
            gateways.Add(process);
            GatewayProcesses[id] = process;
        }
    }

    /// <summary>
    /// Waits until every started gateway's bus runs, so its queues exist: an announcement published
    /// before a gateway's very first start reaches no queue of it.
    /// </summary>
    public Task GatewaysReadyAsync() =>
        Task.WhenAll(gateways.Select(gateway => gateway.WaitForOutputAsync("Bus started", TimeSpan.FromMinutes(1))));

    /// <summary>
    /// The history in PostgreSQL as typed events, in order; with <paramref name="task"/>, without the other tasks'
    /// streams (streams of no task, such as gateway key events and unattributed rejections, stay).
    /// </summary>
    public async Task<List<IFederationEvent>> EventsAsync(string? task = null)
    {
        await using var store = await PostgresEventStore.OpenAsync(ConnectionString, Schema, TimeProvider.System);
        return await store.ReadAllAsync()
            .Where(recorded => task is null || EventStreams.TaskOf(recorded.StreamId) is not { } of || of == task)
            .Select(EventHistory.Deserialize)
            .ToListAsync();
    }

    /// <summary>Waits until the history holds an event matching <paramref name="condition"/>; fails with every process's output when it does not come.</summary>
    /// <param name="condition">Checked on the history, or on <paramref name="task"/>'s part of it (<see cref="EventsAsync"/>).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="task">The task whose events <paramref name="condition"/> sees; null: every event.</param>
    public async Task<List<IFederationEvent>> WaitForAsync(Func<List<IFederationEvent>, bool> condition, TimeSpan timeout, string what, string? task = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            List<IFederationEvent> events;
            try
            {
                events = await EventsAsync(task);
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or InvalidOperationException)
            {
                events = []; // the aggregator has not created the schema yet
            }

            if (condition(events))
            {
                return events;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout} for {what}; the history has {events.Count} events. Output:\n{AllOutput()}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>Waits until the plan's last model version is published.</summary>
    /// <remarks>The events returned are task <c>default</c>'s (and those of no task).</remarks>
    public Task<List<IFederationEvent>> CompletionAsync(TimeSpan timeout) =>
        WaitForAsync(events => events.OfType<ModelVersionPublished>().Any(published => published.Version == Rounds), timeout, $"model version {Rounds}", TaskIds.Default);

    /// <summary>The same federation in one process (in-memory bus, SQLite): its final model hash.</summary>
    public async Task<string> EmbeddedReferenceAsync()
    {
        var sites = SiteSplit.Split(FashionMnist.LoadTraining(), Gateways, Alpha, Seed);
        var nodes = Enumerable.Range(0, Gateways).Select(site =>
        {
            var id = GatewayId(site);
            return new GatewayNode(
                id, Ed25519KeyFile.Load(KeyFile(id)), PolicyLoader.Load(PolicyFile(id)), new Federation.Site.Training.DatasetTrainer(sites[site]), TimeProvider.System, AggregatorKeyId,
                GatewayState.Open(Path.Combine(directory, "embedded", id)));
        }).ToList();
        // Bound from the very settings the aggregator process gets, so both runs follow one plan.
        var plan = new ConfigurationBuilder().AddInMemoryCollection(PlanSettings()!).Build().Get<Federation.Coordination.Rounds.RoundPlan>()!;
        await using var federation = await InProcessFederation.StartAsync(nodes, [], plan, aggregatorKeyFile: AggregatorKeyFile);
        await federation.CompletionAsync(TimeSpan.FromMinutes(5));
        var events = await federation.EventsAsync();
        return events.OfType<ModelVersionPublished>().SingleOrDefault(published => published.Version == Rounds)?.ModelSha256
            ?? throw new InvalidOperationException(
                $"The embedded run completed its plan without version {Rounds}; rounds closed: " +
                string.Join("; ", events.OfType<RoundClosed>().Select(closed => $"{closed.Round} {closed.Outcome} {closed.Detail}")) +
                "; rejections: " + string.Join("; ", events.OfType<ContributionRejected>().Select(rejected => $"{rejected.GatewayId} {rejected.Reason} {rejected.Detail}")));
    }

    public string AllOutput() =>
        string.Join("\n", new[] { Aggregator }.Concat(gateways).OfType<HostProcess>().Select(process => process.Output));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in gateways.Append(Aggregator).OfType<HostProcess>())
        {
            await process.DisposeAsync();
        }

        await DropSchemaAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// A factory's policy: the default task's photo model, and the second and third tasks' own networks under the same
    /// limits (each with its own budget), written as a factory writes a <c>tasks:</c> section.
    /// </summary>
    private string Policy(string gatewayId)
    {
        var expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var text = PolicyTemplate.ForModel($"{gatewayId}-e2e", ModelSpec.LogisticRegression(784, 10).Initialize(0), AggregatorKeyId, expires);
        string Task(string task, TensorSet model, string extraRules = "")
        {
            var own = PolicyTemplate.ForModel("unused", model, AggregatorKeyId, expires) + extraRules;
            var rules = own[own.IndexOf("minimumSamples:", StringComparison.Ordinal)..];
            var indented = string.Concat(rules.Split('\n').Where(line => line.Length > 0).Select(line => $"    {line}\n"));
            return $"  {task}:\n    allow: [model-update, evaluation-metrics]\n{indented}";
        }

        // The photo task pins the PyTorch trainer by the hash of its folder, so its DP-SGD is trusted and charged as such.
        var pinned = $"trainers:\n  photo-cnn: {PhotoCnnHash}\n";
        return $"{text}tasks:\n{Task(SecondTask, SecondTaskModel)}{Task(PhotoTask, SafeTensors.Read(PhotoTaskModelFile), pinned)}";
    }

    /// <summary>Waits until the aggregator's API answers (its process may still be starting).</summary>
    public async Task AggregatorReadyAsync(TimeSpan timeout)
    {
        using var http = new System.Net.Http.HttpClient { BaseAddress = new Uri(AggregatorUrl) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/api/log/key");
                return; // any answer, even 401, means it serves
            }
            catch (System.Net.Http.HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>fedctl as the model team runs it against the aggregator process, with the operator token.</summary>
    public FedctlRunner Fedctl() => new()
    {
        Aggregator = token => new System.Net.Http.HttpClient { BaseAddress = new Uri(AggregatorUrl), DefaultRequestHeaders = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token) } },
        Environment = { ["FEDERATION_AGGREGATOR"] = AggregatorUrl, ["FEDERATION_TOKEN"] = OperatorToken },
    };

    private static Dictionary<string, string> PlanSettings() => new()
    {
        ["Count"] = Rounds.ToString(CultureInfo.InvariantCulture),
        ["MinParticipants"] = Gateways.ToString(CultureInfo.InvariantCulture),
        ["Duration"] = "00:05:00",
        ["Strategy"] = "fedavg",
        ["Epochs"] = "1",
        ["BatchSize"] = "32",
        ["LearningRate"] = "0.05",
        ["Seed"] = Seed.ToString(CultureInfo.InvariantCulture),
    };

    private async Task DropSchemaAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>A loopback port free right now (the kernel's pick for port 0); nothing else on this machine asks for it meanwhile.</summary>
    private static int FreeTcpPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static byte[] FixedSeed(int value)
    {
        var seed = new byte[Ed25519.SeedLength];
        seed[0] = (byte)value;
        seed[31] = 0xE2;
        return seed;
    }

    private string KeyFile(string gatewayId) => Path.Combine(SiteDirectory(gatewayId), "gateway.key");

    private string PolicyFile(string gatewayId) => Path.Combine(SiteDirectory(gatewayId), "policy.yaml");

    private string SiteDirectory(string gatewayId) => Directory.CreateDirectory(Path.Combine(directory, gatewayId)).FullName;
}
