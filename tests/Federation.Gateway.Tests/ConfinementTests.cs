using System.Net;
using System.Net.Sockets;
using System.Text;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Vault;

namespace Federation.Gateway.Tests;

/// <summary>
/// An external trainer runs confined by bubblewrap: a hostile one can reach no network, read nothing of the gateway or
/// the vault beyond the entries it is given, write nothing outside its output folder, leave nothing running and take
/// no more memory than its limit — and what it tried sends nothing and charges nothing. Without confinement it does
/// not run at all, unless the factory said so.
/// </summary>
public sealed class ConfinementTests : IDisposable
{
    private const string KeySecret = "gateway-key-canary-7f3a91";
    private readonly VaultSite vault = new();
    private readonly Site site = new();

    public ConfinementTests() => PhotoTrainingTests.ImportPhotos(vault, 24);

    public void Dispose()
    {
        vault.Dispose();
        site.Dispose();
    }

    [Fact]
    public void A_hostile_trainer_reaches_no_network_reads_no_secret_escapes_nothing_and_dies_at_its_memory_limit()
    {
        // Given a listener on loopback, the gateway's key file and database, a vault entry it is not given (held out),
        // and a hostile program in a folder of its own
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var keyFile = Path.Combine(site.Folder, "gateway.key");
        File.WriteAllText(keyFile, KeySecret);
        var node = site.Node(Hostile(out var arguments, out var escape, out var marker, keyFile, ((IPEndPoint)listener.LocalEndpoint).Port), Site.BaseModel, minimumSamples: 1);
        File.Exists(Path.Combine(site.StateDirectory, GatewayState.FileName)).ShouldBeTrue();

        // When a round is announced
        var result = node.Contribute(Site.Round(1));

        // Then every attempt failed, the program died of its memory limit, and the refusal is on record
        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain("exited with code 1");
        result.Reason!.ShouldContain("MemoryError");
        foreach (var what in new[] { "fork: started a grandchild", "tcp: failed", "key: failed", "db: failed", "vault: failed", "escape: failed", "input: failed" })
        {
            result.Reason!.ShouldContain(what);
        }

        var decision = node.State.Decisions().Single();
        decision.Allowed.ShouldBeFalse();
        var record = decision.Reason + string.Concat(decision.Checks.Select(check => check.Detail));
        record.ShouldNotContain(KeySecret);
        record.ShouldNotContain("SQLite format 3");
        record.ShouldNotContain("SUCCEEDED");
        listener.Pending().ShouldBeFalse("nothing connected to the loopback listener");
        listener.Stop();
        File.Exists(escape).ShouldBeFalse();
        LeftRunning(marker).ShouldBeEmpty("the forked grandchild died with the sandbox");
        node.State.OutboxHistory().ShouldBeEmpty();
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
        arguments.ShouldNotBeEmpty();
    }

    [Fact]
    public void Without_bubblewrap_the_trainer_is_not_run_and_the_refusal_says_why()
    {
        // Given a trainer that would leave a mark, and no bwrap where the gateway looks
        var mark = Path.Combine(site.Folder, "ran");
        var script = Script($"touch {mark}");
        var trainer = new ExternalTrainer(vault.Store, VaultKind.Photos, "/bin/sh", [script], TimeSpan.FromSeconds(30), Path.Combine(site.Folder, "work"), null,
            new TrainerConfinement(true, 1L << 30, Path.Combine(site.Folder, "no-bwrap")));
        var node = site.Node(trainer, Site.BaseModel);

        var result = node.Contribute(Site.Round(1));

        result.Allowed.ShouldBeFalse();
        result.Reason!.ShouldContain("cannot confine sh");
        result.Reason!.ShouldContain("not running it unconfined");
        File.Exists(mark).ShouldBeFalse();
        node.State.Decisions().Single().Allowed.ShouldBeFalse();
    }

    [Fact]
    public void A_factory_that_turns_confinement_off_gets_an_unconfined_run_and_every_decision_says_so()
    {
        // Given Confinement=none and a trainer that connects to a loopback listener and then copies the base model
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var script = Script($$"""
            exec /usr/bin/python3 -c '
            import socket, sys, shutil
            socket.create_connection(("127.0.0.1", {{port}}), timeout=2).close()
            args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
            shutil.copy(args["--base-model"], args["--output"])' "$@"
            """);
        var trainer = new ExternalTrainer(vault.Store, VaultKind.Photos, "/bin/sh", [script], TimeSpan.FromSeconds(30), Path.Combine(site.Folder, "work"), null,
            new TrainerConfinement(false, 1L << 30));
        var node = site.Node(trainer, Site.BaseModel);

        var result = node.Contribute(Site.Round(1));

        result.Allowed.ShouldBeTrue(result.Reason);
        listener.Pending().ShouldBeTrue("unconfined, the program had the network");
        listener.Stop();
        node.State.Decisions().Single().Checks[0].Detail.ShouldContain("NOT confined (Gateway:Training:Confinement=none)");
    }

    private ExternalTrainer Hostile(out IReadOnlyList<string> arguments, out string escape, out string marker, string keyFile, int port)
    {
        var folder = Directory.CreateDirectory(Path.Combine(site.Folder, "hostile")).FullName;
        var program = Path.Combine(folder, "hostile_trainer.py");
        File.Copy(Path.Combine(RepositoryFiles.Root, "tests", "Federation.Gateway.Tests", "Trainers", "hostile_trainer.py"), program);
        var holdout = new VaultPhotoTrainer(vault.Store, ["top", "left"], 0.5);
        var heldOut = vault.Store.Entries(VaultKind.Photos).First(entry => VaultHoldout.IsHeldOut(entry.Sha256, 0.5));
        escape = Path.Combine(site.Folder, "escaped.txt");
        marker = $"97.{Random.Shared.Next(100000, 999999)}";
        arguments =
        [
            program, "--key", keyFile, "--db", Path.Combine(site.StateDirectory, GatewayState.FileName), "--vault-object", vault.Store.ObjectPath(heldOut.Sha256),
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--escape", escape, "--marker", marker,
        ];
        return new ExternalTrainer(vault.Store, VaultKind.Photos, RepositoryFiles.Python, arguments, TimeSpan.FromMinutes(1), Path.Combine(site.Folder, "work"), holdout,
            new TrainerConfinement(true, 1L << 30));
    }

    private string Script(string body)
    {
        var folder = Directory.CreateDirectory(Path.Combine(site.Folder, "scripts")).FullName;
        var path = Path.Combine(folder, $"trainer-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, body);
        return path;
    }

    /// <summary>The processes on this machine whose command line holds <paramref name="marker"/>.</summary>
    private static List<string> LeftRunning(string marker) =>
        [.. Directory.EnumerateDirectories("/proc").Where(folder => int.TryParse(Path.GetFileName(folder), out _)).Where(folder =>
        {
            try
            {
                return Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(folder, "cmdline"))).Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false; // it ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        })];
}
