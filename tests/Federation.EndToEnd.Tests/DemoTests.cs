using System.Diagnostics;
using Federation.EndToEnd.Tests.MultiProcess;
using Federation.Site.State;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// <c>fedctl demo</c> as <c>make demo</c> runs it, built fedctl in a process of its own from the repository root, cut to
/// one round of each task: the photo task's path — vaults of PNGs with lighting conditions, photo_cnn.py pinned and
/// confined at every factory, the central anchor beside it, the per-round table with its slices and ε — runs through.
/// </summary>
public sealed class DemoTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    private readonly string data = Path.Combine(Path.GetTempPath(), $"federation-demo-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task One_round_of_each_task_prints_the_photo_cnn_beside_its_central_anchor()
    {
        var (code, printed) = await RunAsync("demo", "--rounds", "1", "--photo-rounds", "1", "--data", data);

        code.ShouldBe(0, printed);
        // Redirected, the console is 80 columns wide and wraps long lines and table titles: compare words, not lines.
        var output = string.Join(' ', printed.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        output.ShouldContain("Each factory's photos are in its vault (60000 PNGs");
        output.ShouldContain("Task photos: photo_cnn.py's CNN, DP-SGD at each factory");
        output.ShouldContain("lighting=dim");
        output.ShouldContain("Federated photo CNN after 1 rounds (v1)");
        output.ShouldContain("Same CNN and DP-SGD trained centrally on the");
        // Every factory trained the task with the pinned program, confined: its decision record says so.
        foreach (var factory in new[] { "factory-1", "factory-2", "factory-3" })
        {
            var state = GatewayState.Open(Path.Combine(data, "gateways", factory));
            var decision = state.Decisions().Single(decision => decision.Subject == "task photos round 1");
            decision.Allowed.ShouldBeTrue(decision.Reason);
            decision.Checks[0].Detail.ShouldContain("pinned as photo-cnn");
            decision.Checks[0].Detail.ShouldContain("confined by bubblewrap");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var fedctl = Path.Combine(Repository.Root, "services", "Federation.Cli", "bin", Repository.Configuration, "net10.0", "fedctl.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(fedctl);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fedctl {string.Join(' ', arguments)} did not finish within {Patience}:\n{await output}\n{await error}");
        }

        return (process.ExitCode, await output + await error);
    }
}
