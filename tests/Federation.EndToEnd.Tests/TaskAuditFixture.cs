using System.Text;
using System.Text.Json;
using Federation.Aggregator.Tests;
using Federation.Aggregator.Tests.Api;
using Federation.Audit.Bundles;
using Federation.Audit.History;
using Federation.Audit.Transparency;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Rounds;
using Federation.Coordination.Tasks;
using Federation.EventStore;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Trust;
using Federation.Trust.Transparency;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// A real aggregator running two tasks: the configured job (task default, factory-1) and a created task press-fit
/// (factory-2, its own 6 x 2 model). Each runs its round 1 and publishes its own version 1; exported once with payloads.
/// </summary>
public sealed class TaskAuditFixture : IAsyncLifetime
{
    public const string Task = "press-fit";

    private static readonly TaskRoundPlan Plan = new("fedavg", new Dictionary<string, double>(), 1, 300, null, new TrainingPlan(1, 16, 0.05, 3, 0));

    private static readonly TensorSet Model = ModelSpec.LogisticRegression(6, 2).Initialize(9);

    private readonly string root = Path.Combine(Path.GetTempPath(), $"federation-task-audit-{Guid.NewGuid():N}");

    public AggregatorApiFactory Factory { get; } = new();

    public string Bundle => Path.Combine(root, "bundle");

    public string LogKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var services = Factory.Services;
        await services.GetRequiredService<TaskRegistry>().CreateAsync(
            new TaskCreation(Task, "Press-fit anomalies", "press-fit.safetensors", SafeTensors.Write(Model), [Factory.Second.Id], Plan, new TaskEvaluationPlan([], null)),
            "operator-test", CancellationToken.None);
        var rounds = services.GetRequiredService<TaskRounds>();
        var pressFit = (await rounds.FindAsync(Task, CancellationToken.None)).ShouldNotBeNull();
        var coordinator = services.GetRequiredService<RoundCoordinator>();

        // Both tasks open their round 1 on their own version 0 and publish their own version 1.
        (await coordinator.OpenRoundAsync(new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) }, [Factory.First.Id], CancellationToken.None)).ShouldNotBeNull();
        (await pressFit.OpenRoundAsync(RoundPlan.FromTaskPlan(Plan), [Factory.Second.Id], CancellationToken.None)).ShouldNotBeNull().Round.ShouldBe(1);
        var update = new TensorSet(Model.Select(tensor => new Tensor(tensor.Name, tensor.Shape, Enumerable.Repeat(0.5f, tensor.Values.Length).ToArray())));
        await rounds.SubmitAsync(Factory.Second.Contribute(SafeTensors.Write(update), baseModelSha256: pressFit.CurrentModel.Sha256, task: Task), Guid.NewGuid(), CancellationToken.None);
        await rounds.SubmitAsync(Factory.First.Contribute(SafeTensors.Write(TestGateway.Update())), Guid.NewGuid(), CancellationToken.None);
        pressFit.CurrentModel.Version.ShouldBe(1);
        coordinator.CurrentModel.Version.ShouldBe(1);

        LogKey = (await Factory.ClientWith(AggregatorApiFactory.AuditorToken).GetStringAsync("/api/log/key")).Trim();
        var (code, output) = await AuditAsync($"export --out {Bundle} --with-payloads");
        code.ShouldBe(0, output);
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        return System.Threading.Tasks.Task.CompletedTask;
    }

    /// <summary>Runs <c>fedctl audit …</c> as an auditor; returns the exit code and what it printed.</summary>
    public async Task<(int Code, string Output)> AuditAsync(string arguments)
    {
        var run = await new FedctlRunner { Aggregator = Factory.ClientWith, Environment = { ["FEDERATION_TOKEN"] = AggregatorApiFactory.AuditorToken } }.RunAsync($"audit {arguments}");
        return (run.Code, run.Output);
    }

    /// <summary>A copy of the bundle with <paramref name="forged"/> appended (stream, stream version, event), re-signed by a forger's log key, which is returned.</summary>
    public string CopyWithAppended(IReadOnlyList<(string Stream, long Version, IFederationEvent Event)> forged, out string copy)
    {
        copy = Path.Combine(root, $"copy-{Guid.NewGuid():N}");
        foreach (var file in Directory.GetFiles(Bundle, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var path = Path.Combine(copy, AuditBundle.EventsFile);
        var lines = File.ReadAllLines(path).ToList();
        foreach (var (stream, version, @event) in forged)
        {
            var data = EventHistory.ToEventData(@event);
            lines.Add(JsonSerializer.Serialize(new RecordedEvent(lines.Count + 1, stream, version, data.EventId, data.Type, data.Data, data.Metadata, DateTimeOffset.UtcNow), AuditBundle.EventJson));
        }

        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        var tree = new MerkleTree();
        foreach (var line in lines)
        {
            tree.Append(EventLeaf.Bytes(AuditBundle.ParseEvent(line)));
        }

        File.WriteAllLines(Path.Combine(copy, AuditBundle.LeafHashesFile), Enumerable.Range(0, lines.Count).Select(index => Convert.ToHexStringLower(tree.LeafHash(index))));
        using var forger = Ed25519KeyPair.Generate();
        var signer = new NoteSigner(NoteVerifier.Parse(LogKey).Name, forger);
        File.WriteAllText(Path.Combine(copy, AuditBundle.CheckpointFile), new Checkpoint(signer.Name, tree.Size, tree.RootHash()).Sign(signer), new UTF8Encoding(false));
        return signer.Verifier.VerifierKey;
    }
}
