using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using Federation.Aggregator.Tests.Api;
using Federation.Aggregator.Tests;
using Federation.Audit.Bundles;
using Federation.Audit.ReadModels;
using Federation.Cli.Audit;
using Federation.Cli;
using Federation.Contracts.Api;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts;
using Federation.Coordination.Evaluations;
using Federation.Coordination.Rounds;
using Federation.Learning.Tensors;
using Federation.Trust;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// A real aggregator with two rounds of fedadam behind it (so version 2 depends on the state saved
/// with version 1) and a bad-signature rejection in round 2; then factory-1's key is rotated and
/// factory-2's revoked, and a late contribution with the revoked key is refused. Exported once with
/// payloads and once without.
/// </summary>
public sealed class AuditFixture : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"federation-audit-{Guid.NewGuid():N}");

    public AggregatorApiFactory Factory { get; } = new();

    public string Bundle => Path.Combine(root, "bundle");

    public string BundleWithoutPayloads => Path.Combine(root, "bundle-without-payloads");

    public string LogKey { get; private set; } = "";

    /// <summary>A signed checkpoint fetched after round 1, as an auditor keeps them.</summary>
    public string KeptCheckpoint => Path.Combine(root, "kept-checkpoint.txt");

    /// <summary>The key factory-1 rotates to after the rounds.</summary>
    public Ed25519KeyPair RotatedKey { get; } = Ed25519KeyPair.Generate();

    /// <summary>Why factory-2's key is revoked after the rounds.</summary>
    public const string RevocationReason = "gateway disk stolen";

    public string ExportOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var operatorClient = Factory.ClientWith(AggregatorApiFactory.OperatorToken);
        var coordinator = Factory.Services.GetRequiredService<RoundCoordinator>();

        await OpenRoundAsync(operatorClient);
        await coordinator.SubmitAsync(Factory.First.Contribute(SafeTensors.Write(TestGateway.Update(0.25f)), round: 1, samples: 300), CancellationToken.None);
        await coordinator.SubmitAsync(Factory.Second.Contribute(SafeTensors.Write(TestGateway.Update(-0.1f)), round: 1, samples: 100), CancellationToken.None);
        // A checkpoint an auditor kept after round 1, to check later ones against.
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(KeptCheckpoint, await Factory.ClientWith(AggregatorApiFactory.AuditorToken).GetStringAsync("/api/log/checkpoint"));
        var version1 = await operatorClient.GetFromJsonAsync<JsonElement>("/api/models/1");
        var version1Sha256 = version1.GetProperty("modelSha256").GetString()!;

        await OpenRoundAsync(operatorClient);
        var secondUpdate = SafeTensors.Write(TestGateway.Update(0.05f));
        await coordinator.SubmitAsync(Factory.Second.Contribute(secondUpdate, round: 2, samples: 200, signWith: Factory.First.Key, baseModelSha256: version1Sha256), CancellationToken.None);
        // factory-2 arrives before factory-1: the version still lists (and combines) them in gateway id order.
        await coordinator.SubmitAsync(Factory.Second.Contribute(secondUpdate, round: 2, samples: 200, baseModelSha256: version1Sha256), CancellationToken.None);
        await coordinator.SubmitAsync(Factory.First.Contribute(SafeTensors.Write(TestGateway.Update(0.125f)), round: 2, samples: 150, baseModelSha256: version1Sha256), CancellationToken.None);
        (await operatorClient.GetFromJsonAsync<JsonElement>("/api/models/2")).GetProperty("round").GetInt32().ShouldBe(2);

        // A signed evaluation report, so the audit re-verifies evaluation signatures too.
        var report = new EvaluationReport(DocumentTypes.EvaluationReport, Factory.First.Id, Factory.First.Key.KeyId, 1, version1Sha256,
            [new MetricValue("accuracy", null, 0.75, 40)], TestGateway.SignedAt);
        var reportJson = JsonCanonicalizer.Serialize(report, FederationJson.Options);
        await Factory.Services.GetRequiredService<EvaluationRecorder>().RecordAsync(
            new EvaluationReported(Encoding.UTF8.GetString(reportJson), Convert.ToBase64String(Factory.First.Key.Sign(reportJson))), CancellationToken.None);

        // Key changes after the rounds: factory-1 rotates to a new key, factory-2's key is revoked (its two
        // accepted contributions stay valid, signed before revocation) and a late contribution signed with it is refused.
        (await operatorClient.PostAsJsonAsync($"/api/gateways/{Factory.First.Id}/rotate", new { publicKey = Convert.ToBase64String(RotatedKey.PublicKey.Span), overlapHours = 1 }))
            .EnsureSuccessStatusCode();
        (await operatorClient.PostAsJsonAsync($"/api/gateways/{Factory.Second.Id}/keys/{Factory.Second.Key.KeyId}/revoke", new { reason = RevocationReason }))
            .EnsureSuccessStatusCode();
        await coordinator.SubmitAsync(Factory.Second.Contribute(SafeTensors.Write(TestGateway.Update(0.5f)), round: 2, samples: 50, baseModelSha256: version1Sha256), CancellationToken.None);

        LogKey = (await Factory.ClientWith(AggregatorApiFactory.AuditorToken).GetStringAsync("/api/log/key")).Trim();
        var (code, output) = await AuditAsync($"export --out {Bundle} --with-payloads");
        code.ShouldBe(0, output);
        ExportOutput = output;
        (await AuditAsync($"export --out {BundleWithoutPayloads}")).Code.ShouldBe(0);
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        RotatedKey.Dispose();
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs <c>fedctl audit …</c> as an auditor (FEDERATION_TOKEN); returns the exit code and what it printed.</summary>
    public async Task<(int Code, string Output)> AuditAsync(string arguments)
    {
        var run = await RunAsync($"audit {arguments}");
        return (run.Code, run.Output);
    }

    /// <summary>Runs <c>fedctl …</c> as an auditor (FEDERATION_TOKEN), with standard output and standard error apart.</summary>
    public Task<FedctlResult> RunAsync(string commandLine) =>
        new FedctlRunner { Aggregator = Factory.ClientWith, Environment = { ["FEDERATION_TOKEN"] = AggregatorApiFactory.AuditorToken } }.RunAsync(commandLine);

    /// <summary>A fresh copy of the exported bundle, for a test to change.</summary>
    public string CopyOfBundle()
    {
        var copy = Path.Combine(root, $"copy-{Guid.NewGuid():N}");
        foreach (var file in Directory.GetFiles(Bundle, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    private static async Task OpenRoundAsync(HttpClient operatorClient)
    {
        var response = await operatorClient.PostAsJsonAsync("/api/rounds", new
        {
            strategy = "fedadam",
            strategyParameters = new Dictionary<string, double> { ["eta"] = 0.05 },
            minParticipants = 2,
            durationSeconds = 600,
        });
        response.EnsureSuccessStatusCode();
    }
}
