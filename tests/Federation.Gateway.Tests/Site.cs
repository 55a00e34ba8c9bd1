using System.Text;
using System.Text.Json;
using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site;
using Federation.Site.Hosting;
using Federation.Site.Models;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;
using Federation.Vault.Datasets;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Federation.Gateway.Tests;

/// <summary>
/// One factory site under test: a state folder that outlives the <see cref="GatewayNode"/>s opened over it (a restart
/// is a new node over the same folder), a small three-class data set, and policies written the way the demo writes them.
/// </summary>
internal sealed class Site : IDisposable
{
    public const string GatewayId = "factory-1";
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    public static readonly ModelSpec Spec = ModelSpec.LogisticRegression(4, 3);
    public static readonly TensorSet BaseModel = Spec.Initialize(1);
    public static readonly string AggregatorKeyId = new('a', 64);

    public Site()
    {
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"federation-gateway-tests-{Guid.NewGuid():N}");

    public string StateDirectory => Path.Combine(Folder, "state");

    public FakeTimeProvider Clock { get; } = new(Start);

    public Ed25519KeyPair Key { get; } = Ed25519KeyPair.Generate();

    /// <summary>The template policy (minimum 100 training samples, 50 per metric, ε = 8 per 30 days), with edits.</summary>
    public static LoadedPolicy Policy(Func<string, string>? edit = null, long minimumSamples = 100, DateTimeOffset? expires = null)
    {
        var text = PolicyTemplate.ForModel("site-test", BaseModel, AggregatorKeyId, expires ?? Start.AddYears(1), minimumSamples);
        return PolicyLoader.FromBytes(Encoding.UTF8.GetBytes(edit is null ? text : edit(text)), "site-test.yaml");
    }

    /// <summary>The template policy plus task press-fit with the same rules (its own budget), written as a factory would.</summary>
    public static LoadedPolicy PolicyWithPressFit() => Policy(text =>
    {
        var rules = text[text.IndexOf("minimumSamples:", StringComparison.Ordinal)..];
        var indented = string.Concat(rules.Split('\n').Where(line => line.Length > 0).Select(line => $"    {line}\n"));
        return $"{text}tasks:\n  press-fit:\n    allow: [model-update]\n{indented}";
    });

    /// <summary>
    /// A policy whose task default takes <paramref name="model"/> and each of <paramref name="tasks"/> its own model, all
    /// under the template's limits (each task with its own budget), written as a factory writes a <c>tasks:</c> section.
    /// </summary>
    public static LoadedPolicy PolicyWithTasks(TensorSet model, long minimumSamples, params (string Task, TensorSet Model)[] tasks)
    {
        var expires = Start.AddYears(1);
        var text = new StringBuilder(PolicyTemplate.ForModel("site-test", model, AggregatorKeyId, expires, minimumSamples)).Append("tasks:\n");
        foreach (var (task, taskModel) in tasks)
        {
            var own = PolicyTemplate.ForModel("unused", taskModel, AggregatorKeyId, expires, minimumSamples);
            var rules = own[own.IndexOf("minimumSamples:", StringComparison.Ordinal)..];
            text.Append($"  {task}:\n    allow: [model-update, evaluation-metrics]\n")
                .Append(string.Concat(rules.Split('\n').Where(line => line.Length > 0).Select(line => $"    {line}\n")));
        }

        return PolicyLoader.FromBytes(Encoding.UTF8.GetBytes(text.ToString()), "site-test.yaml");
    }

    /// <summary>A node over this site's state: 150 training samples, 90 held out (30 per class).</summary>
    public GatewayNode Node(LoadedPolicy? policy = null, int trainingSamples = 150) =>
        new(GatewayId, Key, policy ?? Policy(), new DatasetTrainer(new LocalData(Data(trainingSamples, 1), Data(90, 2))), Clock, AggregatorKeyId, GatewayState.Open(StateDirectory));

    /// <summary>
    /// A node over this site's state that trains <paramref name="model"/>'s layout with <paramref name="trainer"/>, under
    /// the template policy plus <paramref name="extraRules"/> (top-level YAML, e.g. a <c>trainers:</c> section).
    /// </summary>
    public GatewayNode Node(ILocalTrainer trainer, TensorSet model, long minimumSamples = 20, string? extraRules = null)
    {
        var text = PolicyTemplate.ForModel("site-test", model, AggregatorKeyId, Start.AddYears(1), minimumSamples) + extraRules;
        var policy = PolicyLoader.FromBytes(Encoding.UTF8.GetBytes(text), "site-test.yaml");
        return new(GatewayId, Key, policy, trainer, Clock, AggregatorKeyId, GatewayState.Open(StateDirectory));
    }

    /// <summary>A node over this site's state whose tasks are trained by <paramref name="trainers"/>.</summary>
    public GatewayNode Node(TaskTrainers trainers, LoadedPolicy policy) =>
        new(GatewayId, Key, policy, trainers, Clock, AggregatorKeyId, GatewayState.Open(StateDirectory));

    public static RoundAnnounced Round(int round, string? gatewayId = GatewayId) => Round(round, BaseModel, gatewayId);

    public static RoundAnnounced Round(int round, TensorSet model, string? gatewayId = GatewayId)
    {
        var bytes = SafeTensors.Write(model);
        return new RoundAnnounced(round, 0, Sha256Hex.Of(bytes), bytes, new TrainingPlan(1, 32, 0.1, 7, 0), [gatewayId!], Start.AddDays(1));
    }

    public static ContributionManifest Manifest(ContributionSubmitted contribution) =>
        JsonSerializer.Deserialize<ContributionManifest>(contribution.Manifest, FederationJson.Options)!;

    /// <summary>A host with the test harness's in-memory bus, the gateway consumers and the outbox sender, retrying fast.</summary>
    /// <param name="node">The gateway.</param>
    /// <param name="publisher">Replaces the outbox's bus publisher when given.</param>
    /// <param name="models">Where announced models are downloaded from; none when null.</param>
    /// <param name="payloads">Where large updates are uploaded; none when null.</param>
    public static async Task<Harnessed> StartAsync(
        GatewayNode node, Func<IServiceProvider, IOutboxPublisher>? publisher = null, IModelSource? models = null, IPayloadDestination? payloads = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransitTestHarness(bus => bus.AddGatewayConsumers("site"));
        if (publisher is not null)
        {
            services.AddSingleton(publisher);
        }

        services.AddGateways([node], new OutboxRetryOptions { Initial = TimeSpan.FromMilliseconds(20), Maximum = TimeSpan.FromMilliseconds(100), Poll = TimeSpan.FromMilliseconds(200) },
            models is null ? null : (_, _) => models,
            payloads is null ? null : (_, _) => payloads);
        var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new Harnessed(provider, harness);
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    private static Dataset Data(int samples, int seed)
    {
        // Three separable blobs, so training does something; labels cycle so every class has samples / 3.
        var random = new Random(seed);
        var features = new float[samples * 4];
        var labels = new byte[samples];
        for (int i = 0; i < samples; i++)
        {
            labels[i] = (byte)(i % 3);
            for (int j = 0; j < 4; j++)
            {
                features[i * 4 + j] = (j == labels[i] ? 1f : 0f) + (float)(random.NextDouble() * 0.2);
            }
        }

        return new Dataset(features, labels, 4, 3);
    }
}

/// <summary>A started test harness and its services.</summary>
internal sealed class Harnessed(ServiceProvider provider, ITestHarness harness) : IAsyncDisposable
{
    public ITestHarness Harness { get; } = harness;

    public List<IPublishedMessage<T>> Published<T>()
        where T : class => [.. Harness.Published.Select<T>()];

    /// <summary>Announces a round and waits until <paramref name="node"/> has recorded its decision on it.</summary>
    public async Task<GatewayDecision> AnnounceAsync(GatewayNode node, RoundAnnounced round)
    {
        await Harness.Bus.Publish(round);
        var subject = $"round {round.Round}";
        await Site.Eventually(() => node.State.Decisions().Any(decision => decision.Subject == subject), $"a decision on {subject}");
        return node.State.Decisions().First(decision => decision.Subject == subject);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await provider.DisposeAsync();
    }
}

/// <summary>A bus that fails while <see cref="Failing"/> is set, then publishes through the real one.</summary>
internal sealed class FlakyPublisher(IOutboxPublisher inner) : IOutboxPublisher
{
    private int attempts;

    public volatile bool Failing = true;

    public int Attempts => Volatile.Read(ref attempts);

    public Task PublishAsync(GatewayNode gateway, OutboxEntry entry, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref attempts);
        return Failing
            ? Task.FromException(new InvalidOperationException("broker unreachable (test)"))
            : inner.PublishAsync(gateway, entry, cancellationToken);
    }
}
