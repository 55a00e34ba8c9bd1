using System.Text;
using Federation.Site.Training;

namespace Federation.Gateway.Tests;

/// <summary>The checks on an external evaluate mode's metrics file: only what the gateway itself would report is taken.</summary>
public sealed class ExternalMetricsTests
{
    [Fact]
    public void Accuracy_and_loss_overall_and_accuracy_per_class_are_read()
    {
        var metrics = Read("""{"metrics":[{"name":"accuracy","slice":null,"value":0.75,"samples":60},{"name":"loss","value":0.5,"samples":60},{"name":"accuracy","slice":"class=1","value":1,"samples":30}]}""", out var problem);

        problem.ShouldBeNull();
        metrics!.Select(metric => (metric.Name, metric.Slice, metric.Value, metric.SampleCount))
            .ShouldBe([("accuracy", null, 0.75, 60L), ("loss", null, 0.5, 60L), ("accuracy", "class=1", 1.0, 30L)]);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"results":[]}""", "without a \"metrics\" array")]
    [InlineData("""{"metrics":[]}""", "no overall accuracy")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":1.5,"samples":60}]}""", "metric 0 that is not one the gateway reports")]
    [InlineData("""{"metrics":[{"name":"loss","value":-1,"samples":60}]}""", "metric 0")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":61}]}""", "samples from 1 to the entries given (60, or those with the condition)")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":0}]}""", "metric 0")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":60},{"name":"accuracy","slice":"class=2","value":0.5,"samples":6}]}""", "metric 1")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":60},{"name":"accuracy","slice":"class=01","value":0.5,"samples":6}]}""", "metric 1")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":60},{"name":"accuracy","slice":"site=secret","value":0.5,"samples":6}]}""", "metric 1")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":60},{"name":"loss","slice":"class=1","value":0.5,"samples":6}]}""", "metric 1")]
    [InlineData("""{"metrics":[{"name":"accuracy","value":0.5,"samples":60},{"name":"accuracy","value":0.6,"samples":60}]}""", "accuracy overall twice")]
    [InlineData("""{"metrics":[{"name":"recall","value":0.5,"samples":60}]}""", "metric 0")]
    public void Anything_else_is_refused_with_what_is_wrong(string json, string reason)
    {
        Read(json, out var problem).ShouldBeNull();
        problem!.ShouldContain(reason);
    }

    private static IReadOnlyList<Contracts.Signing.MetricValue>? Read(string json, out string? problem) =>
        ExternalMetrics.Read(Encoding.UTF8.GetBytes(json), entries: 60, classes: 2, out problem);
}
