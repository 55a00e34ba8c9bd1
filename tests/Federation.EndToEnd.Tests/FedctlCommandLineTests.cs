using System.CommandLine;
using System.Diagnostics;
using Federation.Cli;
using Federation.Cli.Commands;
using Federation.EndToEnd.Tests.MultiProcess;
using Federation.Vault;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// fedctl's command line itself: every command documents its options, a typo or a missing value is a usage error
/// (exit 2) with a suggestion, and nothing is sent to the aggregator until the command line is right.
/// </summary>
public sealed class FedctlCommandLineTests
{
    private const string Token = "--token t0k3n";
    private static readonly string PolicyHash = new('a', 64);
    private readonly FedctlRunner fedctl = new();

    /// <summary>Every command and sub-command, as the words typed before --help (e.g. "rounds open").</summary>
    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in Walk(Tree(), []))
        {
            data.Add(string.Join(' ', path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_a_help_that_documents_each_option_and_argument(string path)
    {
        var command = Walk(Tree(), []).Single(entry => string.Join(' ', entry.Path) == path).Command;

        var help = await fedctl.RunAsync($"{path} --help");

        help.Code.ShouldBe(0);
        help.Error.ShouldBeEmpty();
        help.Output.ShouldContain($"fedctl {path}".TrimEnd());
        command.Description.ShouldNotBeNullOrWhiteSpace();
        foreach (var option in command.Options.Where(option => option.Name != "--version"))
        {
            option.Description.ShouldNotBeNullOrWhiteSpace($"{option.Name} of '{path}' has no description");
            help.Output.ShouldContain(option.Name);
            help.Output.ShouldContain(option.Description!);
        }

        foreach (var argument in command.Arguments)
        {
            argument.Description.ShouldNotBeNullOrWhiteSpace($"{argument.Name} of '{path}' has no description");
            help.Output.ShouldContain(argument.Description!);
        }

        foreach (var subcommand in command.Subcommands)
        {
            help.Output.ShouldContain(subcommand.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_with_a_command_prints_exactly_that_commands_help(string path)
    {
        var viaHelp = await fedctl.RunAsync($"help {path}");
        var viaOption = await fedctl.RunAsync($"{path} --help");

        viaHelp.Code.ShouldBe(0);
        viaHelp.Output.ShouldBe(viaOption.Output);
    }

    [Fact]
    public async Task Help_rounds_open_documents_the_strategy_options_in_the_words_users_know()
    {
        var help = await fedctl.RunAsync("help rounds open");

        help.Output.ShouldContain("fedctl rounds open [options]");
        help.Output.ShouldContain("--strategy <NAME>");
        help.Output.ShouldContain("fedavg fedavgm fedprox fedadam fedyogi fedadagrad fedmedian trimmed-mean krum multi-krum bulyan");
        help.Output.ShouldContain("--param <NAME=VALUE>");
        help.Output.ShouldContain("a strategy parameter (repeatable), e.g. --param f=1");
        help.Output.ShouldContain("FEDERATION_AGGREGATOR");
        help.Output.ShouldContain("FEDERATION_TOKEN");
    }

    [Fact]
    public async Task Plain_fedctl_prints_the_overview_and_succeeds_and_help_of_an_unknown_command_is_a_usage_error()
    {
        var overview = await fedctl.RunAsync();
        var unknown = await fedctl.RunAsync("help rounds nonsense");

        overview.Code.ShouldBe(0);
        overview.Output.ShouldContain("fedctl help COMMAND");
        overview.Output.ShouldContain("rounds");
        unknown.Code.ShouldBe(2);
        unknown.Error.ShouldContain("'fedctl rounds' has no command 'nonsense'");
    }

    [Fact]
    public async Task A_mistyped_option_is_a_usage_error_that_names_the_real_option_and_opens_no_round()
    {
        var run = await fedctl.RunAsync($"rounds open --strtegy krum {Token}");

        run.Code.ShouldBe(2);
        run.Error.ShouldContain("'--strtegy'");
        run.Error.ShouldContain("Did you mean");
        run.Error.ShouldContain("--strategy");
        run.Error.ShouldContain("fedctl rounds open --help");
        run.Output.ShouldBeEmpty();
        fedctl.Connections.ShouldBeEmpty();
        fedctl.RefusedRequests.ShouldBe(0);
    }

    [Theory]
    [InlineData("rounds opn", "open")]
    [InlineData("nonsense", "nonsense")]
    [InlineData("rounds", "Required command")]
    [InlineData("rounds show x " + Token, "the round number must be a whole number, not 'x'")]
    [InlineData("rounds show " + Token, "N")]
    [InlineData("rounds open --min -1 " + Token, "--min takes a whole number, not '-1'")]
    [InlineData("rounds open --lr fast " + Token, "--lr takes a number, not 'fast'")]
    [InlineData("rounds open --param f " + Token, "--param takes name=number, not 'f'")]
    [InlineData("rounds ls --aggregator ftp://example " + Token, "is not an absolute URL")]
    [InlineData("rounds ls", "No API token: pass --token or set FEDERATION_TOKEN.")]
    [InlineData("models pull " + Token, "V")]
    [InlineData("gateways rotate --id factory-1 --public-key K --overlap tomorrow " + Token, "--overlap takes a duration")]
    [InlineData("gateways enrol --id factory-1 --public-key K " + Token, "Name at least one allowed policy")]
    [InlineData("gateways enrol --id factory-1 --public-key K --policy cafe " + Token, "is not a SHA-256")]
    [InlineData("gateways revoke --id factory-1 --key-id 1234abcd " + Token, "--reason")]
    [InlineData("gateways revoke --id factory-1 --key-id 1234 --reason lost " + Token, "--key-id '1234' is too short")]
    [InlineData("audit export " + Token, "--out")]
    [InlineData("audit provenance " + Token, "--model-version")]
    [InlineData("audit proof " + Token, "either --position N (inclusion) or --from A (consistency)")]
    [InlineData("audit verify", "DIR")]
    [InlineData("demo --model cnn", "cnn")]
    [InlineData("demo --rounds 0", "--rounds must be at least 1.")]
    [InlineData("keys init", "--out")]
    [InlineData("policy check", "FILE")]
    [InlineData("gateway decisions", "--state")]
    [InlineData("vault import --state s --kind pictures p", "--kind must be logs, overrides, photos or force, not 'pictures'")]
    [InlineData("vault import --state s --kind force", "PATH")]
    [InlineData("vault import --state s --kind logs --label crack p", "--label applies to --kind photos and --kind force only.")]
    [InlineData("vault import --state s --kind photos --label -bad p", "must be 1 to 64 letters")]
    [InlineData("vault import --state s --kind photos --condition Lighting=dim p", "--condition 'Lighting=dim' is not a condition: want key=value")]
    [InlineData("vault import --state s --kind photos --condition lighting=dim --condition lighting=normal p", "--condition 'lighting=normal' states 'lighting' a second time")]
    [InlineData("vault generate-press-fit --out d --faulty-share 2", "--faulty-share must be between 0 and 1.")]
    [InlineData("events --data", "--data")]
    public async Task Every_malformed_command_line_exits_2_with_its_problem_on_standard_error_and_sends_nothing(string commandLine, string problem)
    {
        var run = await fedctl.RunAsync(commandLine);

        run.Code.ShouldBe(2);
        run.Error.ShouldContain(problem);
        run.Output.ShouldBeEmpty();
        fedctl.Connections.ShouldBeEmpty();
    }

    [Fact]
    public async Task Gateways_enrol_without_id_is_refused_before_any_request()
    {
        var run = await fedctl.RunAsync($"gateways enrol --public-key K --policy {PolicyHash} {Token}");

        run.Code.ShouldBe(2);
        run.Error.ShouldContain("Option '--id' is required.");
        fedctl.Connections.ShouldBeEmpty();
        fedctl.RefusedRequests.ShouldBe(0);
    }

    [Fact]
    public async Task The_aggregator_and_token_come_from_the_environment_when_not_given()
    {
        var fromEnvironment = new FedctlRunner { Environment = { ["FEDERATION_AGGREGATOR"] = "http://aggregator.invalid:5080", ["FEDERATION_TOKEN"] = "t0k3n" } };
        var fromDefault = new FedctlRunner();

        var run = await fromEnvironment.RunAsync("rounds ls");
        var defaulted = await fromDefault.RunAsync($"rounds ls {Token}");

        // The command line was right, so the request was made (and refused by the test's handler): exit 1, not 2.
        run.Code.ShouldBe(1);
        run.Output.ShouldContain("Cannot reach the aggregator");
        fromEnvironment.Connections.ShouldBe([new Uri("http://aggregator.invalid:5080")]);
        fromEnvironment.RefusedRequests.ShouldBe(1);
        defaulted.Code.ShouldBe(1);
        fromDefault.Connections.ShouldBe([new Uri(ApiOptions.DefaultAddress)]);
    }

    [Fact]
    public async Task The_built_fedctl_exits_2_on_a_typo_and_writes_the_suggestion_to_standard_error()
    {
        var fedctlDll = Path.Combine(Repository.Root, "services", "Federation.Cli", "bin", Repository.Configuration, "net10.0", "fedctl.dll");
        var start = new ProcessStartInfo("dotnet", [fedctlDll, "rounds", "open", "--strtegy", "krum", "--aggregator", "http://127.0.0.1:9"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["FEDERATION_TOKEN"] = "t0k3n";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.ShouldBe(2);
        (await error).ShouldContain("--strategy");
        (await error).ShouldNotContain("Cannot reach");
        (await output).ShouldBeEmpty();
    }

    [Fact]
    public async Task Vault_import_reports_progress_on_standard_error_and_its_table_on_standard_output()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fedctl-vault-{Guid.NewGuid():N}")).FullName;
        try
        {
            var curves = Path.Combine(root, "curves");
            (await fedctl.RunAsync("vault", "generate-press-fit", "--out", curves, "--count", "12")).Code.ShouldBe(0);

            var import = await fedctl.RunAsync("vault", "import", "--state", Path.Combine(root, "state"), "--kind", "force", curves);

            import.Code.ShouldBe(0, import.Output);
            import.Output.ShouldContain("12 stored, 0 already stored, 0 quarantined.");
            import.Output.ShouldNotContain("imported 12/12");
            import.Error.ShouldContain("imported 12/12 files");
            import.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBeLessThanOrEqualTo(11); // a line per tenth at most
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Vault_import_tags_every_file_with_the_conditions_given_over_its_sidecar()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fedctl-vault-{Guid.NewGuid():N}")).FullName;
        try
        {
            // Given a force curve whose sidecar says shift=day
            var curves = Path.Combine(root, "curves");
            (await fedctl.RunAsync("vault", "generate-press-fit", "--out", curves, "--count", "1")).Code.ShouldBe(0);
            var curve = Directory.GetFiles(curves, "*.csv").Single();
            await File.WriteAllTextAsync(curve + VaultConditions.SidecarSuffix, "shift=day\n");

            // When it is imported with --condition twice
            var state = Path.Combine(root, "state");
            var import = await fedctl.RunAsync("vault", "import", "--state", state, "--kind", "force", "--condition", "shift=night", "--condition", "line=3", curves);

            // Then the entry carries the options' conditions, sorted by key, and not the sidecar's
            import.Code.ShouldBe(0, import.Output);
            VaultStore.Open(state).Entries(VaultKind.Force).Single().Conditions.ShouldBe(["line=3", "shift=night"]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static RootCommand Tree()
    {
        var writer = new StringWriter();
        return Fedctl.Create(new FedctlContext { Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) }), Output = writer, Error = writer });
    }

    private static IEnumerable<(List<string> Path, Command Command)> Walk(Command command, List<string> path)
    {
        if (path.Count > 0)
        {
            yield return (path, command);
        }

        foreach (var subcommand in command.Subcommands)
        {
            foreach (var entry in Walk(subcommand, [.. path, subcommand.Name]))
            {
                yield return entry;
            }
        }
    }
}
