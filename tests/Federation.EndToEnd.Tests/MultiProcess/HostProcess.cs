using System.Diagnostics;
using System.Text;

namespace Federation.EndToEnd.Tests.MultiProcess;

/// <summary>
/// One Federation host (aggregator or gateway) as its own operating-system process, configured
/// only through environment variables, as systemd would run it. Its output is kept for the
/// test's failure message.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private HostProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    public bool HasExited => process.HasExited;

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static HostProcess Start(string name, string project, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Repository.HostAssembly(project))!,
        };
        start.ArgumentList.Add(Repository.HostAssembly(project));
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(name, process);
        process.OutputDataReceived += (_, line) => host.Append(line.Data);
        process.ErrorDataReceived += (_, line) => host.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine loses power.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process stays alive but does nothing, as a hung machine; its queue keeps collecting messages.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("-CONT");

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new TimeoutException($"{Name} did not write '{text}' within {timeout} (exited: {process.HasExited}). Its output:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM first, as systemd stops a unit; SIGKILL if it does not go.
            Resume();
            Signal("-TERM");
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    private void Signal(string signal)
    {
        if (!process.HasExited)
        {
            Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine($"[{Name}] {line}");
        }
    }
}
