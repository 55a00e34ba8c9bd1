using Federation.Cli;
using Federation.Cli.Gateway;
using Federation.Gateway.State;
using Federation.Policies;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary><c>fedctl gateway decisions</c> over a gateway's own state folder, as factory IT reads it.</summary>
public sealed class GatewayDecisionsCommandTests : IDisposable
{
    private static readonly string PolicyHash = new('c', 64);
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"fedctl-gateway-{Guid.NewGuid():N}");
    private readonly StringWriter output = new();
    private readonly IAnsiConsole console;

    public GatewayDecisionsCommandTests()
    {
        console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Decisions_are_listed_newest_first_with_the_reason_of_each_refusal_and_denied_filters_them()
    {
        // Given a gateway that released round 1 and refused round 2
        var state = GatewayState.Open(directory);
        var at = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var allowed = new DecisionDraft(at, "model-update", "round 1", "factory-1-release", 3, PolicyHash, true, null, [new PolicyCheck("policy-not-expired", true, "valid")]);
        var entry = new OutboxEntry(Guid.NewGuid(), OutboxKinds.Evaluation, "{}", "sig", null, at, 0);
        state.RecordReleased(allowed, GatewayState.RoundsLedger, 1, entry, new string('d', 64), 1, null);
        var denied = allowed with
        {
            DecidedAt = at.AddHours(1), Subject = "round 2", Allowed = false, Reason = "trained on 12 samples; the policy requires at least 100",
            Checks = [new PolicyCheck("policy-not-expired", true, "valid"), new PolicyCheck("minimum-samples", false, "trained on 12 samples; the policy requires at least 100")],
        };
        state.RecordDenied(denied, GatewayState.RoundsLedger, 2);

        // When factory IT lists them, then only the refusals
        (await GatewayCommand.RunAsync(new CommandArguments(["decisions", "--state", directory]), console)).ShouldBe(0);
        var all = output.ToString();
        output.GetStringBuilder().Clear();
        (await GatewayCommand.RunAsync(new CommandArguments(["decisions", "--state", directory, "--denied"]), console)).ShouldBe(0);
        var refusals = output.ToString();

        // Then the newest comes first, with outcome, short policy hash and the failed check's reason
        all.IndexOf("round 2", StringComparison.Ordinal).ShouldBeLessThan(all.IndexOf("round 1", StringComparison.Ordinal));
        all.ShouldContain("denied");
        all.ShouldContain("allowed");
        all.ShouldContain("cccccccccccc…");
        all.ShouldContain("minimum-samples: trained on 12 samples; the policy requires at least 100");
        refusals.ShouldContain("round 2");
        refusals.ShouldNotContain("round 1");
    }

    [Fact]
    public async Task A_folder_without_gateway_state_is_reported_not_created()
    {
        await Should.ThrowAsync<CommandFailedException>(() => GatewayCommand.RunAsync(new CommandArguments(["decisions", "--state", directory]), console));
        Directory.Exists(directory).ShouldBeFalse();
    }
}
