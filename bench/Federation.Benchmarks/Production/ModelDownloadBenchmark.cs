using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Federation.Contracts.Messages;
using Federation.Trust;

namespace Federation.Benchmarks.Production;

/// <summary>
/// One large model down to a gateway (issue 12: "1 GB down ... beside its anchor"). The real aggregator process
/// (<c>services/Federation.Aggregator</c>, built in Release) publishes a 784-H-10 MLP as version 0 and serves it from
/// <c>GET /api/model-files/{sha256}</c>; a separate process runs the gateway's <c>HttpModelSource</c> and
/// <c>ModelCache</c> (signed range request, streamed to disk while hashed, renamed once it matches). Anchors in the
/// same run: the same signed request read by a bare <see cref="HttpClient"/> into nothing (what HTTP on loopback and
/// the server give), and SHA-256 over the same number of bytes in memory on one core (what hashing allows).
/// </summary>
public sealed class ModelDownloadBenchmark : IBenchmark
{
    internal const string GatewayId = "factory-1";
    private const string AuditorToken = "bench-auditor-token";

    /// <inheritdoc />
    public string Name => "model-download";

    /// <inheritdoc />
    public string Description => "a 1 GB model from the aggregator process to a gateway process by hash (model-download [hidden] [cap MiB])";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        var hidden = arguments.Length > 0 ? int.Parse(arguments[0], CultureInfo.InvariantCulture) : 337_655;
        var capMiB = arguments.Length > 1 ? int.Parse(arguments[1], CultureInfo.InvariantCulture) : (int?)null;
        return RunAsync(hidden, capMiB).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int hidden, int? capMiB)
    {
        var aggregatorDll = Path.Combine(RepositoryRoot(), "services", "Federation.Aggregator", "bin", "Release", "net10.0", "Federation.Aggregator.dll");
        if (!File.Exists(aggregatorDll))
        {
            Console.WriteLine($"{aggregatorDll} is missing: run `dotnet build services/Federation.Aggregator -c Release` first.");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("federation-bench-download-").FullName;
        try
        {
            using var key = Ed25519KeyPair.Generate();
            var keyFile = Path.Combine(folder, "gateway.key");
            Ed25519KeyFile.Save(keyFile, key);
            using (var aggregatorKey = Ed25519KeyPair.Generate())
            {
                Ed25519KeyFile.Save(Path.Combine(folder, "aggregator.key"), aggregatorKey);
            }

            var url = $"http://127.0.0.1:{FreePort()}/";
            var watch = Stopwatch.StartNew();
            using var aggregator = StartAggregator(aggregatorDll, url, folder, hidden, key);
            try
            {
                var model = await VersionZeroAsync(url, aggregator);
                Console.WriteLine(Invariant($"aggregator up with version 0 ({model.Bytes:N0} bytes, {model.Sha256}) after {watch.Elapsed.TotalSeconds:F1} s"));

                var raw = await RawDownloadAsync(new Uri(url), model, key);
                var hash = HashInMemory(model.Bytes);
                var gateway = await RunGatewayAsync(url, model, keyFile, Path.Combine(folder, "models"), capMiB);
                var gatewaySeconds = double.Parse(gateway["seconds"], CultureInfo.InvariantCulture);
                var before = long.Parse(gateway["rssBefore"], CultureInfo.InvariantCulture);
                var peak = long.Parse(gateway["peakBytes"], CultureInfo.InvariantCulture);
                var megabytes = model.Bytes / 1e6;

                Console.WriteLine();
                var table = new TextTable("figure", "seconds", "MB/s", "share of raw HTTP");
                table.Add("gateway process: HttpModelSource + ModelCache (signed range GET, to disk, SHA-256, rename)", Invariant($"{gatewaySeconds:F2}"), Invariant($"{megabytes / gatewaySeconds:F1}"), Invariant($"{raw / gatewaySeconds * 100:F0} %"));
                table.Add("anchor: bare HttpClient, the same signed GET, body read into nothing", Invariant($"{raw:F2}"), Invariant($"{megabytes / raw:F1}"), "100 %");
                table.Add("anchor: SHA-256 of as many bytes in memory, one core", Invariant($"{hash:F2}"), Invariant($"{megabytes / hash:F1}"), "");
                table.Print();
                Console.WriteLine(Invariant($"gateway process RSS: {before / 1048576.0:N0} MiB before the download, peak {peak / 1048576.0:N0} MiB (growth {(peak - before) / 1048576.0:N0} MiB){(capMiB is { } cap ? $"; GC heap hard limit {cap} MiB" : "")}"));
                Console.WriteLine(Invariant($"the file on disk hashes to the announced SHA-256: {gateway["verified"]}"));
                return gateway["verified"] == "true" ? 0 : 1;
            }
            finally
            {
                aggregator.Kill(entireProcessTree: true);
                await aggregator.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Process StartAggregator(string dll, string url, string folder, int hidden, Ed25519KeyPair gatewayKey)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        var settings = new Dictionary<string, string>
        {
            ["Urls"] = url,
            ["Aggregator__DataDirectory"] = Path.Combine(folder, "aggregator"),
            ["Aggregator__Log__KeyFile"] = Path.Combine(folder, "aggregator.key"),
            ["Aggregator__Model__Kind"] = "Mlp",
            ["Aggregator__Model__Inputs"] = "784",
            ["Aggregator__Model__Hidden"] = hidden.ToString(CultureInfo.InvariantCulture),
            ["Aggregator__Model__Classes"] = "10",
            ["Aggregator__Rounds__Count"] = "0",
            ["Aggregator__Gateways__0__Id"] = GatewayId,
            ["Aggregator__Gateways__0__PublicKey"] = Convert.ToBase64String(gatewayKey.PublicKey.Span),
            ["Aggregator__Gateways__0__AllowedPolicies__0"] = new string('a', 64),
            ["Bus__Kind"] = "InMemory",
            ["Aggregator__Api__Credentials__0__Name"] = "bench-auditor",
            ["Aggregator__Api__Credentials__0__Role"] = "auditor",
            ["Aggregator__Api__Credentials__0__TokenSha256"] = Sha256Hex.Of(Encoding.UTF8.GetBytes(AuditorToken)),
        };
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
        return process;
    }

    /// <summary>Waits until the aggregator serves version 0, then names it as an announcement does.</summary>
    private static async Task<ModelReference> VersionZeroAsync(string url, Process aggregator)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditorToken);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (DateTime.UtcNow < deadline && !aggregator.HasExited)
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

            await Task.Delay(500);
        }

        throw new InvalidOperationException("The aggregator did not publish version 0 in time (or exited).");
    }

    /// <summary>The anchor: the same signed request, the body read and dropped.</summary>
    private static async Task<double> RawDownloadAsync(Uri baseAddress, ModelReference model, Ed25519KeyPair key)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"api/model-files/{model.Sha256}"));
        request.Headers.Range = new RangeHeaderValue(0, null);
        var signature = HttpMessageSignature.Sign("GET", request.RequestUri!, DateTimeOffset.UtcNow, GatewayId, key);
        request.Headers.TryAddWithoutValidation(HttpMessageSignature.InputHeader, signature.SignatureInput);
        request.Headers.TryAddWithoutValidation(HttpMessageSignature.SignatureHeader, signature.Signature);
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        var seconds = watch.Elapsed.TotalSeconds;
        return total == model.Bytes ? seconds : throw new InvalidOperationException($"The raw download got {total} bytes, not {model.Bytes}.");
    }

    private static double HashInMemory(long bytes)
    {
        var block = new byte[64 << 20];
        RandomNumberGenerator.Fill(block);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var watch = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += block.Length)
        {
            hash.AppendData(block, 0, (int)Math.Min(block.Length, bytes - done));
        }

        _ = hash.GetHashAndReset();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<Dictionary<string, string>> RunGatewayAsync(string url, ModelReference model, string keyFile, string directory, int? capMiB)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ModelDownloadBenchmark).Assembly.Location);
        }

        foreach (var argument in new[] { ModelDownloadProcess.BenchmarkName, url, model.Sha256, model.Bytes.ToString(CultureInfo.InvariantCulture), keyFile, directory })
        {
            start.ArgumentList.Add(argument);
        }

        if (capMiB is { } cap)
        {
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)cap << 20).ToString("X", CultureInfo.InvariantCulture);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the gateway process.");
        Dictionary<string, string>? result = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            Console.WriteLine($"[gateway] {line}");
            if (line.StartsWith(ModelDownloadProcess.ResultPrefix, StringComparison.Ordinal))
            {
                result = JsonSerializer.Deserialize<Dictionary<string, string>>(line[ModelDownloadProcess.ResultPrefix.Length..]);
            }
        }

        await process.WaitForExitAsync();
        return result ?? throw new InvalidOperationException($"The gateway process exited with {process.ExitCode} and no result.");
    }

    private static int FreePort()
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

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
