using Federation.Aggregator.Tests;
using Federation.Aggregator.Tests.Api;
using Federation.Contracts.Signing;
using Federation.Coordination.Evaluations;
using Federation.Trust;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.EndToEnd.Tests;

/// <summary>fedctl against the real aggregator host, as the model team and an auditor would use it.</summary>
public sealed class FedctlTests : IClassFixture<AggregatorApiFactory>, IDisposable
{
    private const string AsOperator = $"--token {AggregatorApiFactory.OperatorToken}";
    private readonly AggregatorApiFactory factory;
    private readonly FedctlRunner fedctl;
    private readonly string pulled = Path.Combine(Path.GetTempPath(), $"fedctl-model-{Guid.NewGuid():N}.safetensors");

    public FedctlTests(AggregatorApiFactory factory)
    {
        this.factory = factory;
        fedctl = new FedctlRunner { Aggregator = factory.ClientWith };
    }

    public void Dispose() => File.Delete(pulled);

    [Fact]
    public async Task The_model_team_opens_shows_and_aborts_a_round_and_pulls_a_verified_model()
    {
        var opened = await fedctl.RunAsync($"rounds open --strategy fedadam --param eta=0.05 --min 2 --duration 600 --max-norm 5 {AsOperator}");
        var listed = await fedctl.RunAsync($"rounds ls {AsOperator}");
        var shown = await fedctl.RunAsync($"rounds show 1 {AsOperator}");
        var aborted = await fedctl.RunAsync($"rounds abort 1 {AsOperator}");
        var models = await fedctl.RunAsync($"models ls {AsOperator}");
        var pull = await fedctl.RunAsync($"models pull 0 --out {pulled} {AsOperator}");

        new[] { opened, listed, shown, aborted, models, pull }.Select(run => run.Code).ShouldAllBe(code => code == 0);
        opened.Output.ShouldContain("Round 1 opened on model v0 with fedadam");
        shown.Output.ShouldContain("strategy fedadam");
        shown.Output.ShouldContain("eta=0.05");
        aborted.Output.ShouldContain("Round 1 aborted");
        pull.Output.ShouldContain("verified");
        Sha256Hex.Of(await File.ReadAllBytesAsync(pulled)).ShouldBe(TestGateway.BaseModelSha256);
    }

    [Fact]
    public async Task Models_metrics_names_the_slices_a_gateway_dropped_under_the_values_it_reported()
    {
        // Given a task whose version 0 one gateway reported on, leaving out a slice under its policy's minimum (a v3 report)
        await File.WriteAllBytesAsync(pulled, Learning.Tensors.SafeTensors.Write(TestGateway.BaseModel));
        var created = await fedctl.RunAsync($"tasks create dim-cli --model {pulled} --description dim-photos {AsOperator}");
        created.Code.ShouldBe(0, created.Output + created.Error);
        var gateway = factory.First;
        var report = new EvaluationReport(
            DocumentTypes.EvaluationReportV3, gateway.Id, gateway.Key.KeyId, 0, TestGateway.BaseModelSha256,
            [new MetricValue("accuracy", null, 0.9, 100), new MetricValue("accuracy", "lighting=normal", 0.92, 95)], TestGateway.SignedAt, "dim-cli", ["lighting=dim"]);
        await factory.Services.GetRequiredService<EvaluationRecorder>().RecordAsync(gateway.Sign(report), CancellationToken.None);

        // When an auditor asks fedctl for its metrics
        var metrics = await fedctl.RunAsync($"models metrics 0 --task dim-cli --token {AggregatorApiFactory.AuditorToken}");

        // Then the reported slice has its value and the dropped one is named, by gateway, without one
        metrics.Code.ShouldBe(0, metrics.Error);
        metrics.Output.ShouldContain("lighting=normal");
        var dropped = metrics.Output[metrics.Output.IndexOf("Dropped", StringComparison.Ordinal)..];
        dropped.ShouldContain(gateway.Id);
        dropped.ShouldContain("lighting=dim");
    }

    [Fact]
    public async Task Models_pull_reports_its_download_on_standard_error_only()
    {
        var pull = await fedctl.RunAsync($"models pull 0 --out {pulled} {AsOperator}");

        pull.Code.ShouldBe(0);
        pull.Error.ShouldMatch(@"downloaded (\d+)/\1 bytes");
        pull.Output.ShouldNotContain("downloaded");
    }

    [Fact]
    public async Task The_token_may_come_from_FEDERATION_TOKEN()
    {
        var withVariable = new FedctlRunner { Aggregator = fedctl.Aggregator, Environment = { ["FEDERATION_TOKEN"] = AggregatorApiFactory.OperatorToken } };

        var listed = await withVariable.RunAsync("rounds ls");

        listed.Code.ShouldBe(0);
        listed.Output.ShouldContain("Round");
    }

    [Fact]
    public async Task An_auditor_token_cannot_open_a_round_and_is_told_why()
    {
        var failure = await fedctl.RunAsync($"rounds open --token {AggregatorApiFactory.AuditorToken}");

        failure.Code.ShouldBe(1);
        failure.Output.ShouldContain("403");
        failure.Output.ShouldContain("operator token");
    }

    [Fact]
    public async Task An_unknown_strategy_is_refused_with_the_aggregators_reason()
    {
        var failure = await fedctl.RunAsync($"rounds open --strategy magic {AsOperator}");

        failure.Code.ShouldBe(1);
        failure.Output.ShouldContain("magic");
    }
}
