using Federation.Aggregator.Rounds;
using Federation.Gateway;
using Federation.Gateway.Data;
using Federation.Gateway.Vault;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// The factories of the canary test: each has a vault filled with canaried raw data of all four kinds through the
/// real drop folder, and a gateway. What the gateways train on is decided in one place, <see cref="CreateGateway"/>.
/// </summary>
public sealed class CanarySites
{
    public const int Sites = 2;
    public const int Rounds = 3;

    private CanarySites(IReadOnlyList<GatewayNode> gateways, IReadOnlyList<VaultStore> vaults, IReadOnlyList<Secret> secrets)
    {
        Gateways = gateways;
        Vaults = vaults;
        Secrets = secrets;
    }

    public IReadOnlyList<GatewayNode> Gateways { get; }

    /// <summary>Each gateway's vault, in the order of <see cref="Gateways"/>.</summary>
    public IReadOnlyList<VaultStore> Vaults { get; }

    /// <summary>Every canary and raw record of every site, none of which may reach the bus.</summary>
    public IReadOnlyList<Secret> Secrets { get; }

    /// <summary>Three short rounds that close as soon as every site has contributed.</summary>
    public static RoundPlan Plan() => new()
    {
        Count = Rounds, MinParticipants = Sites, Duration = TimeSpan.FromSeconds(60), BatchSize = 32, LearningRate = 0.05,
    };

    /// <summary>Makes the sites: canaried files dropped into each vault and imported, then each site's gateway.</summary>
    public static CanarySites Create()
    {
        var shares = SiteSplit.Split(FashionMnistSample.Training, Sites, alpha: 100, seed: 11);
        var gateways = new List<GatewayNode>();
        var vaults = new List<VaultStore>();
        var secrets = new List<Secret>();
        for (var site = 0; site < Sites; site++)
        {
            var id = $"factory-{site + 1}";
            var folder = TestGateways.NewFolder(id);
            var vault = VaultStore.Open(Path.Combine(folder, "state"));
            var files = new CanaryFiles(id);
            FillThroughDropFolder(vault, files);
            secrets.AddRange(files.Secrets);

            var (gateway, trainingSecrets) = CreateGateway(id, folder, vault, shares[site]);
            secrets.AddRange(trainingSecrets);
            gateways.Add(gateway);
            vaults.Add(vault);
        }

        return new CanarySites(gateways, vaults, secrets);
    }

    /// <summary>
    /// HOW THE CANARY GATEWAYS GET THEIR TRAINING DATA: the one place to change when gateways train from the vault.
    /// <para>
    /// Today a gateway trains on <see cref="LocalData"/> in memory (its Fashion-MNIST share), not on its vault; so the
    /// canary is also planted there (<see cref="TrainingCanary"/>: the first training image's pixels), while the vault
    /// beside it holds the canaried files the gateway will train on.
    /// </para>
    /// <para>
    /// WHEN VAULT TRAINING LANDS: build the gateway here with the vault-fed trainer (photos and/or force curves) reading
    /// <paramref name="vault"/> (already filled with the canaried files through the drop folder), give it the policy
    /// for that trainer's model (tensor names and shapes), return no training secrets (the vault files' secrets are
    /// already checked), and drop <paramref name="fashionMnistShare"/>. Nothing else in the canary tests changes; the
    /// photos are real 28×28 grayscale PNGs labelled "scratch" and "ok", and the force file is a 1 kHz press-fit CSV
    /// (adjust <see cref="CanaryFiles"/> if the trainers need more files or other columns).
    /// </para>
    /// </summary>
    private static (GatewayNode Gateway, IReadOnlyList<Secret> Secrets) CreateGateway(string id, string folder, VaultStore vault, LocalData fashionMnistShare)
    {
        _ = vault; // read by the vault-fed trainer once it lands
        var (data, secrets) = TrainingCanary.Plant(id, fashionMnistShare);
        return (TestGateways.Create(id, data, folder: folder), secrets);
    }

    /// <summary>Copies the files into the vault's drop folders and lets the drop folder take them, as the running gateway does.</summary>
    private static void FillThroughDropFolder(VaultStore vault, CanaryFiles files)
    {
        files.CopyInto(vault);
        var dropFolder = new VaultDropFolder(new VaultImporter(vault));
        dropFolder.Scan(); // first sight: a file is taken only once it looks the same on the next scan
        var results = dropFolder.Scan();
        results.ShouldAllBe(result => result.Outcome == VaultImportOutcome.Stored, string.Join("\n", results.Select(result => $"{result.Source}: {result.Problem}")));
        results.Count.ShouldBe(files.Files.Count);
        vault.Quarantined().ShouldBeEmpty();
    }

    /// <summary>Message ids of everything the gateways' outboxes have sent, by kind.</summary>
    public IReadOnlyList<(string Gateway, Guid MessageId, string Kind)> Sent() =>
        [.. Gateways.SelectMany(gateway => gateway.State.OutboxHistory()
            .Where(entry => entry.SentAt is not null)
            .Select(entry => (gateway.Id, entry.MessageId, entry.Kind)))];
}
