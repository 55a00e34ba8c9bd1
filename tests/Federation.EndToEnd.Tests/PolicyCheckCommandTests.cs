using Federation.EndToEnd.Tests.MultiProcess;
using Federation.Policies;

namespace Federation.EndToEnd.Tests;

/// <summary><c>fedctl policy check</c>: factory IT checks a policy file before a gateway runs with it.</summary>
public sealed class PolicyCheckCommandTests : IDisposable
{
    private static readonly string Example = Path.Combine(Repository.Root, "policies", "example.yaml");
    private static readonly DateTimeOffset BeforeExampleExpires = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fedctl-policy-{Guid.NewGuid():N}")).FullName;
    private static Task<FedctlResult> CheckAsync(string path, DateTimeOffset now) => new FedctlRunner { Now = now }.RunAsync("policy", "check", path);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task The_annotated_example_is_valid_and_its_summary_shows_what_may_leave_and_the_hash_to_enrol()
    {
        var check = await CheckAsync(Example, BeforeExampleExpires);

        check.Code.ShouldBe(0);
        var summary = check.Output;
        summary.ShouldContain("factory-1-release v3");
        summary.ShouldContain(PolicyLoader.Load(Example).Hash);
        summary.ShouldContain("model-update, evaluation-metrics");
        summary.ShouldContain("linear.weight [10, 784]");
        summary.ShouldContain("ε = 8, δ = 1E-05 per 30d");
        summary.ShouldContain("accuracy (200), loss (200)");
        summary.ShouldContain("Valid.");
    }

    [Fact]
    public async Task An_invalid_policy_names_the_file_line_and_field()
    {
        var path = Path.Combine(directory, "policy.yaml");
        File.WriteAllText(path, File.ReadAllText(Example).Replace("maxUpdateL2Norm: 10.0", "maxUpdateL2Norm: \"ten\"", StringComparison.Ordinal));

        var check = await CheckAsync(path, BeforeExampleExpires);

        check.Code.ShouldBe(1);
        check.Output.ShouldContain("nothing would leave");
        check.Output.ShouldContain(path);
        check.Output.ShouldContain("clipping.maxUpdateL2Norm");
    }

    [Fact]
    public async Task An_expired_policy_is_reported_with_exit_code_1()
    {
        var check = await CheckAsync(Example, new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero));

        check.Code.ShouldBe(1);
        check.Output.ShouldContain("Expired");
    }

    [Fact]
    public async Task Trainer_hash_prints_what_sha256sum_computes_by_the_recipe_in_FORMATS()
    {
        // Given a trainer folder with a script, a module, a folder Python would make, and a link (the last two not counted)
        var trainer = Directory.CreateDirectory(Path.Combine(directory, "trainer")).FullName;
        File.WriteAllText(Path.Combine(trainer, "train.py"), "import helper\n");
        File.WriteAllText(Path.Combine(trainer, "helper.py"), "x = 1\n");
        Directory.CreateDirectory(Path.Combine(trainer, "__pycache__"));
        File.CreateSymbolicLink(Path.Combine(trainer, "link.py"), Path.Combine(trainer, "helper.py"));

        var printed = await new FedctlRunner().RunAsync("policy", "trainer-hash", trainer);
        var recipe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", $"sha256sum $(find {trainer} -maxdepth 1 -type f | LC_ALL=C sort) | sha256sum"]) { RedirectStandardOutput = true })!;
        var expected = (await recipe.StandardOutput.ReadToEndAsync()).Split(' ')[0];
        await recipe.WaitForExitAsync();

        printed.Code.ShouldBe(0, printed.Error);
        printed.Output.Trim().ShouldBe(expected);
        expected.Length.ShouldBe(64);
    }
}
