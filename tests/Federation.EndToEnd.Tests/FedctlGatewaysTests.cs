using System.Net.Http.Json;
using System.Runtime.Versioning;
using Federation.Aggregator.Api;
using Federation.Aggregator.Tests.Api;
using Federation.Aggregator.Tests;
using Federation.Cli.Gateways;
using Federation.Cli;
using Federation.Contracts.Api;
using Federation.Policies;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>A factory's key made on site with fedctl, then enrolled, rotated and revoked by the operator with fedctl.</summary>
[UnsupportedOSPlatform("windows")] // key files are guarded by Unix file modes
public sealed class FedctlGatewaysTests : IClassFixture<AggregatorApiFactory>, IDisposable
{
    private static readonly UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly AggregatorApiFactory factory;
    private readonly FedctlRunner fedctl;
    private readonly string site;

    public FedctlGatewaysTests(AggregatorApiFactory factory)
    {
        this.factory = factory;
        fedctl = new FedctlRunner { Aggregator = factory.ClientWith };
        site = Path.Combine(Path.GetTempPath(), $"fedctl-site-{Guid.NewGuid():N}");
        Directory.CreateDirectory(site, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(site, recursive: true);

    private Task<FedctlResult> Keys(params string[] arguments) => fedctl.RunAsync(["keys", .. arguments]);

    private Task<FedctlResult> Gateways(string token, params string[] arguments) => fedctl.RunAsync(["gateways", .. arguments, "--token", token]);

    [Fact]
    public async Task Keys_init_creates_an_owner_only_key_file_prints_the_public_key_and_never_the_seed()
    {
        var path = Path.Combine(site, "gateway.key");

        var init = await Keys("init", "--out", path);
        init.Code.ShouldBe(0);

        File.GetUnixFileMode(path).ShouldBe(OwnerOnly);
        using var key = Ed25519KeyFile.Load(path);
        var seed = Convert.ToBase64String(key.ExportSeed());
        var text = init.Output;
        text.ShouldContain(key.KeyId);
        text.ShouldContain(Convert.ToBase64String(key.PublicKey.Span));
        text.ShouldNotContain(seed);
        text.ShouldNotContain("ed25519-seed");
    }

    [Fact]
    public async Task Keys_init_refuses_to_overwrite_a_key_unless_forced_and_then_replaces_it_whole()
    {
        var path = Path.Combine(site, "gateway.key");
        (await Keys("init", "--out", path)).Code.ShouldBe(0);
        var original = File.ReadAllBytes(path);

        var refusal = await Keys("init", "--out", path);
        File.ReadAllBytes(path).ShouldBe(original);
        (await Keys("init", "--out", path, "--force")).Code.ShouldBe(0);

        refusal.Code.ShouldBe(1);
        refusal.Output.ShouldContain("--force");
        File.ReadAllBytes(path).ShouldNotBe(original);
        File.GetUnixFileMode(path).ShouldBe(OwnerOnly);
        Directory.GetFiles(site).ShouldBe(new[] { path });
    }

    [Fact]
    public async Task Keys_init_refuses_a_directory_that_others_can_write()
    {
        File.SetUnixFileMode(site, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        var refusal = await Keys("init", "--out", Path.Combine(site, "gateway.key"));

        refusal.Code.ShouldBe(1);
        refusal.Output.ShouldContain("writable by group or others");
        Directory.GetFiles(site).ShouldBeEmpty();
    }

    [Fact]
    public async Task Keys_show_prints_the_identity_and_warns_when_others_may_read_the_file()
    {
        var path = Path.Combine(site, "gateway.key");
        (await Keys("init", "--out", path)).Code.ShouldBe(0);
        using var key = Ed25519KeyFile.Load(path);

        var ownerOnly = await Keys("show", "--key", path);
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var readable = await Keys("show", "--key", path);

        ownerOnly.Code.ShouldBe(0);
        ownerOnly.Output.ShouldContain(key.KeyId);
        ownerOnly.Output.ShouldNotContain("Warning");
        readable.Code.ShouldBe(0);
        readable.Output.ShouldContain("Warning");
        readable.Output.ShouldContain("0644");
    }

    [Fact]
    public async Task The_operator_enrols_rotates_and_revokes_a_site_key_with_fedctl()
    {
        const string operatorToken = AggregatorApiFactory.OperatorToken;
        var policyFile = Path.Combine(site, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "# the factory's release policy\r\nversion: 1\r\n");
        var policyHash = PolicyHash.Compute(await File.ReadAllBytesAsync(policyFile));
        (await Keys("init", "--out", Path.Combine(site, "first.key"))).Code.ShouldBe(0);
        (await Keys("init", "--out", Path.Combine(site, "second.key"))).Code.ShouldBe(0);
        using var first = Ed25519KeyFile.Load(Path.Combine(site, "first.key"));
        using var second = Ed25519KeyFile.Load(Path.Combine(site, "second.key"));

        (await Gateways(operatorToken, "enrol", "--id", "factory-7", "--public-key", Convert.ToBase64String(first.PublicKey.Span), "--policy-file", policyFile)).Code.ShouldBe(0);
        (await Gateways(operatorToken, "rotate", "--id", "factory-7", "--public-key", Convert.ToBase64String(second.PublicKey.Span), "--overlap", "90m")).Code.ShouldBe(0);
        (await Gateways(operatorToken, "revoke", "--id", "factory-7", "--key-id", first.KeyId[..12], "--reason", "old laptop decommissioned")).Code.ShouldBe(0);
        (await Gateways(operatorToken, "allow-policy", "--id", "factory-7", "--policy", TestGateway.PolicySha256)).Code.ShouldBe(0);
        var listed = await Gateways(AggregatorApiFactory.AuditorToken, "ls");
        listed.Code.ShouldBe(0);

        var keys = (await factory.ClientWith(operatorToken).GetFromJsonAsync<List<GatewayKey>>("/api/gateways", ApiJson.Options))!
            .Where(key => key.Id == "factory-7").ToList();
        keys.Select(key => key.KeyId).ShouldBe(new[] { first.KeyId, second.KeyId });
        keys[0].RevokedAt.ShouldNotBeNull();
        keys[0].ValidUntil.ShouldNotBeNull().ShouldBe(keys[1].EnrolledAt.AddMinutes(90), TimeSpan.FromSeconds(1));
        (await factory.ClientWith(operatorToken).GetFromJsonAsync<List<string>>("/api/gateways/factory-7/policies"))
            .ShouldBe(new[] { policyHash, TestGateway.PolicySha256 });
        var table = listed.Output.Split('\n').Where(line => line.Contains("factory-7", StringComparison.Ordinal)).ToList();
        table.Count.ShouldBe(2);
        table[0].ShouldContain(first.KeyId[..12]);
        table[0].ShouldContain("revoked");
        table[1].ShouldContain(second.KeyId[..12]);
        table[1].ShouldContain("current");
    }

    [Fact]
    public async Task An_enrolment_the_aggregator_refuses_fails_with_its_message()
    {
        using var key = Ed25519KeyPair.Generate();

        var failure = await Gateways(AggregatorApiFactory.OperatorToken,
            "enrol", "--id", "factory-1", "--public-key", Convert.ToBase64String(key.PublicKey.Span), "--policy", TestGateway.PolicySha256);
        var forbidden = await Gateways(AggregatorApiFactory.AuditorToken,
            "revoke", "--id", "factory-1", "--key-id", factory.First.Key.KeyId, "--reason", "test");

        failure.Code.ShouldBe(1);
        failure.Output.ShouldContain("409");
        failure.Output.ShouldContain("already enrolled");
        forbidden.Code.ShouldBe(1);
        forbidden.Output.ShouldContain("403");
    }

    [Theory]
    [InlineData("24h", 24)]
    [InlineData("90m", 1.5)]
    [InlineData("2d", 48)]
    [InlineData("0", 0)]
    [InlineData("6", 6)]
    public void Overlaps_are_read_in_hours(string text, double hours) => GatewaysCommand.Hours(text).ShouldBe(hours, 1e-9);

    [Theory]
    [InlineData("-1h")]
    [InlineData("tomorrow")]
    [InlineData("3w")]
    public void A_malformed_overlap_is_refused(string text) => Should.Throw<CommandLineException>(() => GatewaysCommand.Hours(text));
}
