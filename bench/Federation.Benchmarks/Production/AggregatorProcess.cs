using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Federation.Contracts.Messages;

namespace Federation.Benchmarks.Production;

/// <summary>
/// The real aggregator (<c>services/Federation.Aggregator</c>, built in Release beforehand) as its own process,
/// configured by environment variables as an operator would, with what a benchmark reads of it from outside: when it
/// serves version 0, and its memory from <c>/proc/PID/status</c> (current and peak resident set, the peak resettable
/// through <c>/proc/PID/clear_refs</c> so that one phase's peak can be told from another's).
/// </summary>
internal sealed class AggregatorProcess : IDisposable
{
    private readonly Process process;

    private AggregatorProcess(Process process, string url, string auditorToken)
    {
        this.process = process;
        Url = url;
        AuditorToken = auditorToken;
    }

    /// <summary>The base URL it serves its API on.</summary>
    public string Url { get; }

    private string AuditorToken { get; }

    /// <summary>Where the Release build of the aggregator is expected, or null with the command that makes it.</summary>
    public static string? MissingBuild(out string dll)
    {
        dll = Path.Combine(RepositoryRoot(), "services", "Federation.Aggregator", "bin", "Release", "net10.0", "Federation.Aggregator.dll");
        return File.Exists(dll) ? null : $"{dll} is missing: run `dotnet build services/Federation.Aggregator -c Release` first.";
    }

    /// <summary>Starts it with <paramref name="settings"/> (environment variables) serving on <paramref name="url"/>.</summary>
    public static AggregatorProcess Start(string dll, string url, string auditorToken, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["Urls"] = url;
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the aggregator.");
        // Its standard output is read and dropped so the pipe never fills and stalls it; errors are shown.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } text) { Console.Error.WriteLine($"[aggregator] {text}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AggregatorProcess(process, url, auditorToken);
    }

    /// <summary>Waits until it serves version 0, then names it as an announcement does.</summary>
    public async Task<ModelReference> VersionZeroAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditorToken);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync("/api/models"));
                var versions = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement : document.RootElement.GetProperty("versions");
                foreach (var version in versions.EnumerateArray())
                {
                    if (version.GetProperty("version").GetInt32() == 0)
                    {
                        return new ModelReference(version.GetProperty("modelSha256").GetString()!, version.GetProperty("modelBytes").GetInt64());
                    }
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException("The aggregator did not publish version 0 in time (or exited).");
    }

    /// <summary>Its resident set now (<c>VmRSS</c>), in bytes.</summary>
    public long ResidentBytes() => Status("VmRSS");

    /// <summary>Its peak resident set since it started or since <see cref="ResetPeak"/> (<c>VmHWM</c>), in bytes.</summary>
    public long PeakBytes() => Status("VmHWM");

    /// <summary>Sets the peak to the current resident set (Linux: writing 5 to <c>/proc/PID/clear_refs</c>).</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{process.Id}/clear_refs", "5");

    /// <summary>Stops it (its history is committed append by append, so a kill loses nothing that was recorded).</summary>
    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    /// <summary>A free TCP port on loopback for it to listen on.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private long Status(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{process.Id}/status has no {field}.");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Federation.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the repository.");
    }
}
