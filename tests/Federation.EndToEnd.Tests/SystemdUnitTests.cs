using System.Diagnostics;
using Federation.Aggregator.Api;
using Federation.Contracts.Api;
using Federation.Coordination.Hosting;
using Federation.Gateway;
using Federation.Messaging;
using Microsoft.Extensions.Configuration;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// The systemd units in ops/systemd and the environment files they read: every variable they set
/// must name a real setting and bind to the options classes, so a renamed setting breaks this test
/// instead of silently falling back to a default on a production host.
/// </summary>
public sealed class SystemdUnitTests
{
    private const string Instance = "factory-1";
    private const string CredentialsDirectory = $"/run/credentials/federation-gateway@{Instance}.service";

    private static readonly string UnitsDirectory = Path.Combine(RepositoryRoot(), "ops", "systemd");

    /// <summary>Host-level names that are not options of ours but that the .NET host reads.</summary>
    private static readonly HashSet<string> HostSettings = ["Urls", "DOTNET_ENVIRONMENT"];

    [Fact]
    public void Every_variable_of_the_aggregator_unit_names_an_aggregator_or_bus_setting_and_binds()
    {
        var settings = Settings("federation-aggregator.service");

        var configuration = Configuration(settings, "Aggregator", "Bus");
        // Aggregator:Api is its own options class (ApiOptions), bound apart from AggregatorOptions.
        var aggregator = Bind<AggregatorOptions>(Without(configuration, ApiOptions.Section), AggregatorOptions.Section);
        var api = Bind<ApiOptions>(configuration, ApiOptions.Section);
        var bus = Bind<BusOptions>(configuration, BusOptions.Section);

        aggregator.Validate();
        bus.Kind.ShouldBe(BusKinds.RabbitMQ);
        bus.RabbitMQ.Validate();
        aggregator.EventStore.Kind.ShouldBe("Postgres");
        aggregator.Gateways.ShouldBeEmpty(); // enrolled with fedctl, not in settings
        aggregator.Log.KeyFile.ShouldBeEmpty(); // the default, <DataDirectory>/aggregator.key, is created at first start; a set path must exist
        Directive("federation-aggregator.service", "ReadWritePaths").ShouldContain(aggregator.DataDirectory);
        // The example's token placeholders are not hashes: an unedited copy cannot go live with a known token.
        api.Credentials.Select(credential => credential.Name).ShouldBe(new[] { "model-team", "auditor" });
        Should.Throw<InvalidOperationException>(api.Validate).Message.ShouldContain("TokenSha256");
    }

    [Fact]
    public void Every_variable_of_the_gateway_unit_names_a_gateway_or_bus_setting_and_binds()
    {
        var settings = Settings("federation-gateway@.service");

        var configuration = Configuration(settings, "Gateway", "Bus");
        var gateway = Bind<GatewayOptions>(configuration, GatewayOptions.Section);
        var bus = Bind<BusOptions>(configuration, BusOptions.Section);

        gateway.Validate();
        bus.RabbitMQ.Validate();
        gateway.Id.ShouldBe(Instance);
        gateway.Tasks.Keys.Select(GatewayOptions.TaskIdOf).ShouldBe(["press-fit"], "the example's task trainer, spelt as systemd lets a name be");
        bus.RabbitMQ.Username.ShouldBe(Instance);
        gateway.KeyFile.ShouldStartWith(CredentialsDirectory + "/");
        Directive("federation-gateway@.service", "LoadCredential").ShouldContain($"/etc/federation/gateway-{Instance}.key");
    }

    [Theory]
    [InlineData("federation-aggregator.service")]
    [InlineData("federation-gateway@.service")]
    public void Each_unit_runs_unprivileged_hardened_and_restarts_on_failure(string unit)
    {
        Directive(unit, "User").ShouldNotBeNullOrWhiteSpace();
        Directive(unit, "User").ShouldNotBe("root");
        Directive(unit, "NoNewPrivileges").ShouldBe("yes");
        Directive(unit, "ProtectSystem").ShouldBe("strict");
        Directive(unit, "PrivateTmp").ShouldBe("yes");
        Directive(unit, "Restart").ShouldBe("on-failure");
        Directive(unit, "ReadWritePaths").ShouldStartWith("/var/lib/federation/");
    }

    [Fact]
    public void A_misspelt_setting_is_caught()
    {
        var configuration = Configuration(new Dictionary<string, string>(StringComparer.Ordinal) { ["Aggregator__EventStore__Knd"] = "Postgres" }, "Aggregator");

        Should.Throw<InvalidOperationException>(() => Bind<AggregatorOptions>(configuration, AggregatorOptions.Section)).Message.ShouldContain("Knd");
        Should.Throw<ShouldAssertException>(() => Configuration(new Dictionary<string, string>(StringComparer.Ordinal) { ["Gateway__Id"] = "x" }, "Aggregator"));
    }

    [Fact]
    public void Systemd_accepts_the_units_when_it_is_installed()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            return; // Not a systemd machine; the parsing tests above still hold.
        }

        var verify = Process.Start(new ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", "./federation-aggregator.service", $"./federation-gateway@{Instance}.service"])
        {
            WorkingDirectory = UnitsDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = verify.StandardOutput.ReadToEnd() + verify.StandardError.ReadToEnd();
        verify.WaitForExit();

        // The binaries live on the production host, not here; anything else (unknown keys, bad values) is a finding.
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !(line.Contains("/opt/federation/", StringComparison.Ordinal) && line.EndsWith("is not executable: No such file or directory", StringComparison.Ordinal)))
            .ShouldBeEmpty();
    }

    /// <summary>
    /// Environment= of the unit, then its EnvironmentFile= (found in ops/systemd under the same
    /// name as under /etc/federation), with specifiers expanded as systemd would for <see cref="Instance"/>.
    /// </summary>
    private static Dictionary<string, string> Settings(string unit)
    {
        var fromUnit = Directives(unit, "Environment").Select(Assignment).ToDictionary(StringComparer.Ordinal);
        var files = Directives(unit, "EnvironmentFile").ToList();
        files.ShouldNotBeEmpty();
        var settings = new Dictionary<string, string>(fromUnit, StringComparer.Ordinal);
        foreach (var file in files)
        {
            var path = file.TrimStart('-');
            path.ShouldStartWith("/etc/federation/");
            foreach (var (name, value) in File.ReadAllLines(Path.Combine(UnitsDirectory, path["/etc/federation/".Length..]))
                .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).Select(Assignment))
            {
                // systemd lets the file win over Environment=, silently: a name in both is a trap.
                fromUnit.ShouldNotContainKey(name, $"{name} is set both in {unit} and in {path}; the file would win");
                settings.Add(name, value);
            }
        }

        return settings;
    }

    /// <summary>Configuration as the .NET environment provider builds it ('__' is ':'); every name must belong to <paramref name="sections"/> or the host.</summary>
    private static IConfiguration Configuration(IReadOnlyDictionary<string, string> settings, params string[] sections)
    {
        foreach (var name in settings.Keys.Where(name => !HostSettings.Contains(name)))
        {
            sections.ShouldContain(name.Split("__")[0], $"{name} is not a setting of this host");
        }

        return new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(pair => KeyValuePair.Create(pair.Key.Replace("__", ":", StringComparison.Ordinal), (string?)pair.Value)))
            .Build();
    }

    private static IConfiguration Without(IConfiguration configuration, string section) =>
        new ConfigurationBuilder().AddInMemoryCollection(configuration.AsEnumerable()
            .Where(pair => pair.Value is not null && !pair.Key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))).Build();

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() =>
        configuration.GetSection(section).Get<T>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new T();

    private static (string Name, string Value) Assignment(string text)
    {
        var unquoted = text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;
        var equals = unquoted.IndexOf('=', StringComparison.Ordinal);
        equals.ShouldBeGreaterThan(0, $"'{text}' is not NAME=VALUE");
        return (unquoted[..equals], unquoted[(equals + 1)..]);
    }

    private static string Directive(string unit, string name) => Directives(unit, name).LastOrDefault() ?? "";

    private static IEnumerable<string> Directives(string unit, string name) =>
        File.ReadAllLines(Path.Combine(UnitsDirectory, unit))
            .Where(line => line.StartsWith(name + "=", StringComparison.Ordinal))
            .Select(line => line[(name.Length + 1)..].Trim().Replace("%i", Instance, StringComparison.Ordinal).Replace("%d", CredentialsDirectory, StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Federation.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No folder holding Federation.sln above {AppContext.BaseDirectory}.");
    }
}
