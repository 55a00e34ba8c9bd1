using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Federation.Contracts.Messages;
using Federation.Site.Models;
using Federation.Trust;

namespace Federation.Benchmarks.Production;

/// <summary>
/// The gateway's download in the <see cref="PayloadBenchmark"/>, in its own process (started by it, not meant to be run by
/// hand): the product's <see cref="HttpModelSource"/> and <see cref="ModelCache"/>, as a gateway uses them for an
/// announced model. Prints one <see cref="ResultPrefix"/> line of JSON: seconds, RSS before, peak RSS, and whether
/// the file on disk hashes to the announced SHA-256 (checked again, outside the timing).
/// </summary>
public sealed class ModelDownloadProcess : IBenchmark
{
    internal const string BenchmarkName = "model-download-process";
    internal const string ResultPrefix = "RESULT ";

    /// <inheritdoc />
    public string Name => BenchmarkName;

    /// <inheritdoc />
    public string Description => "the gateway's model download of the payload benchmark in its own process (started by `payload`)";

    /// <inheritdoc />
    public int Run(string[] arguments)
    {
        if (arguments.Length < 5)
        {
            Console.WriteLine("usage: model-download-process URL SHA256 BYTES KEYFILE DIR  (started by the payload benchmark)");
            return 2;
        }

        var model = new ModelReference(arguments[1], long.Parse(arguments[2], CultureInfo.InvariantCulture));
        using var key = Ed25519KeyFile.Load(arguments[3]);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var cache = new ModelCache(arguments[4], new HttpModelSource(http, new Uri(arguments[0]), SampleContributions.GatewayId(0), key, TimeProvider.System));
        var before = AggregationBenchmark.ReadStatusKilobytes("VmRSS") * 1024;
        var watch = Stopwatch.StartNew();
        var path = cache.GetAsync(model).GetAwaiter().GetResult();
        var seconds = watch.Elapsed.TotalSeconds;
        var peak = AggregationBenchmark.ReadStatusKilobytes("VmHWM") * 1024;
        string actual;
        using (var file = File.OpenRead(path))
        {
            actual = Convert.ToHexStringLower(SHA256.HashData(file));
        }

        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            ["rssBefore"] = before.ToString(CultureInfo.InvariantCulture),
            ["peakBytes"] = peak.ToString(CultureInfo.InvariantCulture),
            ["verified"] = actual == model.Sha256 ? "true" : "false",
        }));
        return 0;
    }
}
