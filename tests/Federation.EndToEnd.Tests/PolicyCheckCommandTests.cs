using Federation.Cli;
using Federation.Cli.Policy;
using Federation.EndToEnd.Tests.MultiProcess;
using Federation.Policies;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary><c>fedctl policy check</c>: factory IT checks a policy file before a gateway runs with it.</summary>
public sealed class PolicyCheckCommandTests : IDisposable
{
    private static readonly string Example = Path.Combine(Repository.Root, "policies", "example.yaml");
    private static readonly DateTimeOffset BeforeExampleExpires = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fedctl-policy-{Guid.NewGuid():N}")).FullName;
    private readonly StringWriter output = new();
    private readonly IAnsiConsole console;

    public PolicyCheckCommandTests()
    {
        console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_annotated_example_is_valid_and_its_summary_shows_what_may_leave_and_the_hash_to_enrol()
    {
        PolicyCommand.Run(new CommandArguments(["check", Example]), console, BeforeExampleExpires).ShouldBe(0);

        var summary = output.ToString();
        summary.ShouldContain("factory-1-release v3");
        summary.ShouldContain(PolicyLoader.Load(Example).Hash);
        summary.ShouldContain("model-update, evaluation-metrics");
        summary.ShouldContain("linear.weight [10, 784]");
        summary.ShouldContain("ε = 8, δ = 1E-05 per 30d");
        summary.ShouldContain("accuracy (200), loss (200)");
        summary.ShouldContain("Valid.");
    }

    [Fact]
    public void An_invalid_policy_names_the_file_line_and_field()
    {
        var path = Path.Combine(directory, "policy.yaml");
        File.WriteAllText(path, File.ReadAllText(Example).Replace("maxUpdateL2Norm: 10.0", "maxUpdateL2Norm: \"ten\"", StringComparison.Ordinal));

        var error = Should.Throw<CommandFailedException>(() => PolicyCommand.Run(new CommandArguments(["check", path]), console, BeforeExampleExpires));

        error.Message.ShouldContain("nothing would leave");
        error.Message.ShouldContain(path);
        error.Message.ShouldContain("clipping.maxUpdateL2Norm");
    }

    [Fact]
    public void An_expired_policy_is_reported_with_exit_code_1()
    {
        PolicyCommand.Run(new CommandArguments(["check", Example]), console, new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero)).ShouldBe(1);

        output.ToString().ShouldContain("Expired");
    }
}
