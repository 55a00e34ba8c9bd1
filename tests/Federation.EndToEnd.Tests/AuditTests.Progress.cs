namespace Federation.EndToEnd.Tests;

/// <summary>The long audit commands report progress on standard error, never in the standard output scripts parse.</summary>
public sealed partial class AuditTests
{
    [Fact]
    public async Task Export_verify_and_reaggregate_report_progress_on_standard_error_only()
    {
        var bundle = Path.Combine(Path.GetTempPath(), $"audit-progress-{Guid.NewGuid():N}");
        var model = Path.Combine(Path.GetTempPath(), $"audit-progress-{Guid.NewGuid():N}.safetensors");
        try
        {
            var export = await fixture.RunAsync($"audit export --out {bundle} --with-payloads");
            var verify = await fixture.RunAsync($"audit verify {bundle} --log-key {fixture.LogKey}");
            var reaggregate = await fixture.RunAsync($"audit reaggregate --model-version 2 --out {model}");

            export.Code.ShouldBe(0, export.Output);
            export.Error.ShouldMatch(@"exported (\d+)/\1 events");
            export.Error.ShouldMatch(@"exported (\d+)/\1 payloads");
            verify.Code.ShouldBe(0, verify.Output);
            verify.Error.ShouldMatch(@"checked (\d+)/\1 events");
            verify.Error.ShouldMatch(@"hashed (\d+)/\1 payloads");
            reaggregate.Code.ShouldBe(0, reaggregate.Output);
            reaggregate.Error.ShouldMatch(@"read \d+ events"); // from the API, whose total is not known in advance
            reaggregate.Error.ShouldMatch(@"read (\d+)/\1 contributions");
            foreach (var run in new[] { export, verify, reaggregate })
            {
                run.Output.ShouldNotMatch(@"\d+/\d+ (events|payloads|contributions)");
                run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldAllBe(line => line.Contains('/') || line.StartsWith("read ", StringComparison.Ordinal));
            }
        }
        finally
        {
            if (Directory.Exists(bundle))
            {
                Directory.Delete(bundle, recursive: true);
            }

            File.Delete(model);
        }
    }
}
