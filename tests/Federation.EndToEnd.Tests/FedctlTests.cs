using Federation.Aggregator.Tests;
using Federation.Aggregator.Tests.Api;
using Federation.Cli;
using Federation.Cli.Models;
using Federation.Cli.Rounds;
using Federation.Trust;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary>fedctl against the real aggregator host, as the model team and an auditor would use it.</summary>
public sealed class FedctlTests : IClassFixture<AggregatorApiFactory>, IDisposable
{
    private readonly AggregatorApiFactory factory;
    private readonly StringWriter output = new();
    private readonly IAnsiConsole console;
    private readonly string pulled = Path.Combine(Path.GetTempPath(), $"fedctl-model-{Guid.NewGuid():N}.safetensors");

    public FedctlTests(AggregatorApiFactory factory)
    {
        this.factory = factory;
        console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 250;
    }

    public void Dispose() => File.Delete(pulled);

    private Task<int> Fedctl(Func<CommandArguments, AggregatorClient, IAnsiConsole, Task<int>> command, string token, string arguments) =>
        command(new CommandArguments(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)), new AggregatorClient(factory.ClientWith(token)), console);

    [Fact]
    public async Task The_model_team_opens_shows_and_aborts_a_round_and_pulls_a_verified_model()
    {
        const string operatorToken = AggregatorApiFactory.OperatorToken;

        (await Fedctl(RoundsCommand.RunAsync, operatorToken, "open --strategy fedadam --param eta=0.05 --min 2 --duration 600 --max-norm 5")).ShouldBe(0);
        (await Fedctl(RoundsCommand.RunAsync, operatorToken, "ls")).ShouldBe(0);
        (await Fedctl(RoundsCommand.RunAsync, operatorToken, "show 1")).ShouldBe(0);
        (await Fedctl(RoundsCommand.RunAsync, operatorToken, "abort 1")).ShouldBe(0);
        (await Fedctl(ModelsCommand.RunAsync, operatorToken, "ls")).ShouldBe(0);
        (await Fedctl(ModelsCommand.RunAsync, operatorToken, $"pull 0 --out {pulled}")).ShouldBe(0);

        var text = output.ToString();
        text.ShouldContain("Round 1 opened on model v0 with fedadam");
        text.ShouldContain("strategy fedadam");
        text.ShouldContain("eta=0.05");
        text.ShouldContain("Round 1 aborted");
        text.ShouldContain("verified");
        Sha256Hex.Of(await File.ReadAllBytesAsync(pulled)).ShouldBe(TestGateway.BaseModelSha256);
    }

    [Fact]
    public async Task An_auditor_token_cannot_open_a_round_and_is_told_why()
    {
        var failure = await Should.ThrowAsync<CommandFailedException>(() => Fedctl(RoundsCommand.RunAsync, AggregatorApiFactory.AuditorToken, "open"));

        failure.Message.ShouldContain("403");
        failure.Message.ShouldContain("operator token");
    }

    [Fact]
    public async Task An_unknown_strategy_is_refused_with_the_aggregators_reason()
    {
        var failure = await Should.ThrowAsync<CommandFailedException>(() => Fedctl(RoundsCommand.RunAsync, AggregatorApiFactory.OperatorToken, "open --strategy magic"));

        failure.Message.ShouldContain("magic");
    }
}
