using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Trust;
using Npgsql;

namespace Federation.Benchmarks.Production;

/// <summary>
/// A model of about 1 GB down to a gateway and an update of the same size back up, between separate processes over
/// the real servers (issue 12: "a 1 GB model is announced, fetched by a gateway process, trained (or stood in for by a
/// seeded update), returned and accepted"). The aggregator is the real one (<c>services/Federation.Aggregator</c>,
/// built in Release): history in PostgreSQL, bus on RabbitMQ, API on loopback HTTP. The gateway side is the
/// product's own code in processes started from this one: <c>HttpModelSource</c> and <c>ModelCache</c> for the model
/// (<see cref="ModelDownloadProcess"/>), then the outbox sender with <c>HttpPayloadDestination</c> for the update,
/// whose contribution goes over RabbitMQ (<see cref="PayloadProcess"/>).
/// </summary>
/// <remarks>
/// Two preparing processes are reported apart because they move no bytes between the sides: the aggregator's first
/// start, which builds the initial model in memory and publishes it as version 0 (then stops, so the measured
/// aggregator starts fresh and idle), and the gateway's release, which holds the update in memory as training does and
/// streams it to its outbox file with the signed manifest (a seeded update stands in for training). The round invites
/// a second gateway that never sends, so it stays open and nothing is aggregated (aggregation is model-sized by
/// nature). Peak memory: each gateway process's own VmHWM against its resident set when the transfer began; the
/// aggregator's VmHWM per direction, reset (<c>/proc/PID/clear_refs</c>) before each, against its idle resident set.
/// </remarks>
public sealed class PayloadBenchmark : ProductionPart
{
    /// <summary>784 → H → 10 with H = 337,655: 268,435,735 parameters, 1,073,742,940 bytes of F32 (1,073,743,292 with the header).</summary>
    internal const int DefaultHidden = 337_655;

    private const string AuditorToken = "bench-auditor-token";

    /// <inheritdoc />
    public override string Name => "payload";

    /// <inheritdoc />
    public override string Description => "RabbitMQ + PostgreSQL + the aggregator process: a ~1 GB model down to a gateway process and a ~1 GB update back up: time, MB/s, peak RSS [hidden units]";

    /// <inheritdoc />
    public override string Usage => "payload [hidden units H of the 784-H-10 MLP, default 337,655 ≈ 1 GiB of F32] [GC heap hard limit in MiB for the gateway processes, default none]";

    /// <inheritdoc />
    public override async Task<int> MeasureAsync(string[] arguments)
    {
        var hidden = DefaultHidden;
        var heapLimitMib = 0;
        if (arguments.Length > 2
            || (arguments.Length >= 1 && !int.TryParse(arguments[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out hidden))
            || (arguments.Length == 2 && !int.TryParse(arguments[1], NumberStyles.None, CultureInfo.InvariantCulture, out heapLimitMib))
            || hidden is < 1 or > 600_000 || heapLimitMib < 0)
        {
            Console.WriteLine($"usage: {Usage}; H between 1 and 600,000");
            return 2;
        }

        if (AggregatorProcess.MissingBuild(out var aggregatorDll) is { } missing)
        {
            Console.WriteLine($"payload: {missing}");
            return 2;
        }

        long parameters = (784L * hidden) + hidden + (10L * hidden) + 10;
        var folder = Path.Combine(Path.GetTempPath(), $"federation-payload-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        // The model (v0) in the store and the gateway's cache, the update in the outbox, incoming and the store.
        long needed = 6 * parameters * sizeof(float);
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (free < needed)
        {
            Console.WriteLine(Invariant($"payload: {free:N0} bytes free under {folder}; at least {needed:N0} are needed."));
            return 1;
        }

        Console.WriteLine(Invariant($"payload: MLP 784-{hidden}-10, {parameters:N0} parameters ≈ {parameters * 4:N0} bytes of F32 safetensors, each way"));
        var gatewayEnvironment = heapLimitMib > 0
            ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x" + ((long)heapLimitMib << 20).ToString("x", CultureInfo.InvariantCulture) }
            : [];
        Console.WriteLine(heapLimitMib > 0
            ? Invariant($"  the gateway processes run with DOTNET_GCHeapHardLimit = {heapLimitMib} MiB")
            : "  every process runs with the GC's defaults (no heap limit)");
        var schema = ProductionServers.ScratchSchema("payload");
        var settings = AggregatorSettings(folder, schema, hidden);
        var url = $"http://127.0.0.1:{AggregatorProcess.FreePort()}/";
        try
        {
            await BusBenchmark.DeleteHostQueuesAsync();
            var watch = Stopwatch.StartNew();
            ModelReference model;
            long initPeak;
            using (var first = AggregatorProcess.Start(aggregatorDll, url, AuditorToken, settings))
            {
                model = await first.VersionZeroAsync();
                await WaitForRoundAsync(schema);
                initPeak = first.PeakBytes();
            }

            var initSeconds = watch.Elapsed.TotalSeconds;
            using var aggregator = AggregatorProcess.Start(aggregatorDll, url, AuditorToken, settings);
            await aggregator.VersionZeroAsync();
            // Let start-up work settle (reading the history, connecting the bus) before taking the idle size.
            await Task.Delay(TimeSpan.FromSeconds(3));
            long idle = aggregator.ResidentBytes();

            // Down: the anchors first, so the gateway's download does not find the file warm only because of them.
            var keyFile = Path.Combine(folder, "gateway.key");
            using (var key = SampleContributions.Key(0))
            {
                Ed25519KeyFile.Save(keyFile, key);
            }

            aggregator.ResetPeak();
            var download = await RunAsync(
                [ModelDownloadProcess.BenchmarkName, url, model.Sha256, model.Bytes.ToString(CultureInfo.InvariantCulture), keyFile, Path.Combine(folder, "gateway-models")], gatewayEnvironment);
            long downPeak = aggregator.PeakBytes();
            double rawDown;
            using (var key = SampleContributions.Key(0))
            {
                rawDown = await RawDownloadAsync(new Uri(url), model, key);
            }

            // Up: release (prep), then the measured sender.
            var release = await RunAsync([PayloadProcess.BenchmarkName, PayloadProcess.GatewayRelease, hidden.ToString(CultureInfo.InvariantCulture), folder, "1", model.Sha256]);
            aggregator.ResetPeak();
            var sender = await RunAsync([PayloadProcess.BenchmarkName, PayloadProcess.GatewaySender, url, folder], gatewayEnvironment);
            var (outcome, decidedAt) = await DecisionAsync(schema);
            long upPeak = aggregator.PeakBytes();

            var bytes = long.Parse(release["payloadBytes"], CultureInfo.InvariantCulture);
            var hash = HashInMemory(bytes);
            var disk = WriteAndFlush(Path.Combine(folder, "anchor.bin"), bytes);
            Print(new Figures(model, bytes, initSeconds, initPeak, idle, download, downPeak, rawDown, release, sender, decidedAt, upPeak, hash, disk), heapLimitMib);
            return outcome == "accepted" && download["verified"] == "true" ? 0 : 1;
        }
        finally
        {
            await BusBenchmark.DeleteHostQueuesAsync();
            await ProductionServers.DropSchemasAsync([schema]);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Dictionary<string, string> AggregatorSettings(string folder, string schema, int hidden)
    {
        var settings = new Dictionary<string, string>
        {
            ["Aggregator__DataDirectory"] = Path.Combine(folder, "aggregator"),
            ["Aggregator__EventStore__Kind"] = "Postgres",
            ["Aggregator__EventStore__ConnectionString"] = ProductionServers.Postgres,
            ["Aggregator__EventStore__Schema"] = schema,
            ["Aggregator__Model__Kind"] = "Mlp",
            ["Aggregator__Model__Inputs"] = "784",
            ["Aggregator__Model__Hidden"] = hidden.ToString(CultureInfo.InvariantCulture),
            ["Aggregator__Model__Classes"] = "10",
            ["Aggregator__Model__Seed"] = "1",
            // One round, open until both invited gateways sent or 30 minutes passed: only one sends.
            ["Aggregator__Rounds__Count"] = "1",
            ["Aggregator__Rounds__MinParticipants"] = "2",
            ["Aggregator__Rounds__Duration"] = "00:30:00",
            ["Aggregator__Api__Credentials__0__Name"] = "bench-auditor",
            ["Aggregator__Api__Credentials__0__Role"] = "auditor",
            ["Aggregator__Api__Credentials__0__TokenSha256"] = Sha256Hex.Of(Encoding.UTF8.GetBytes(AuditorToken)),
        };
        foreach (var (name, value) in ProductionServers.BusSettings(ProductionServers.RabbitAggregator))
        {
            settings[name.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        for (int index = 0; index < 2; index++)
        {
            using var key = SampleContributions.Key(index);
            settings[$"Aggregator__Gateways__{index}__Id"] = SampleContributions.GatewayId(index);
            settings[$"Aggregator__Gateways__{index}__PublicKey"] = Convert.ToBase64String(key.PublicKey.Span);
            settings[$"Aggregator__Gateways__{index}__AllowedPolicies__0"] = SampleContributions.PolicySha256;
        }

        return settings;
    }

    /// <summary>Waits until round 1 of task default is open in PostgreSQL.</summary>
    private static async Task WaitForRoundAsync(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(ProductionServers.Postgres);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = dataSource.CreateCommand($"""SELECT COUNT(*) FROM "{schema}".events WHERE stream_id = @stream;""");
            command.Parameters.AddWithValue("stream", EventStreams.Round(TaskIds.Default, 1));
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("Round 1 did not open within 5 minutes.");
    }

    /// <summary>Waits for the round's decision on the contribution; returns it and when the store recorded it.</summary>
    private static async Task<(string Outcome, DateTimeOffset At)> DecisionAsync(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(ProductionServers.Postgres);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = dataSource.CreateCommand($"""SELECT type, "timestamp", data FROM "{schema}".events WHERE stream_id = @stream AND type IN (@accepted, @rejected) ORDER BY position LIMIT 1;""");
            command.Parameters.AddWithValue("stream", EventStreams.Round(TaskIds.Default, 1));
            command.Parameters.AddWithValue("accepted", EventTypes.NameOf(typeof(ContributionAccepted)));
            command.Parameters.AddWithValue("rejected", EventTypes.NameOf(typeof(ContributionRejected)));
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                var accepted = reader.GetString(0) == EventTypes.NameOf(typeof(ContributionAccepted));
                if (!accepted)
                {
                    Console.WriteLine($"  rejected: {reader.GetValue(2)}");
                }

                return (accepted ? "accepted" : "rejected", BusBenchmark.ParseTimestamp(reader.GetString(1)));
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("No decision on the contribution within 30 minutes.");
    }

    /// <summary>The down anchor: the same signed request by a bare <see cref="HttpClient"/>, the body read into nothing.</summary>
    private static async Task<double> RawDownloadAsync(Uri baseAddress, ModelReference model, Ed25519KeyPair key)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"api/model-files/{model.Sha256}"));
        HttpMessageSignature.SignRequest(request, DateTimeOffset.UtcNow, SampleContributions.GatewayId(0), key);
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

    /// <summary>An anchor: SHA-256 over as many bytes in memory, one core (both sides hash every byte once).</summary>
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

    /// <summary>The up anchor: as many bytes written to a file in 256 KiB writes and flushed to disk (what the aggregator must do with them at least).</summary>
    private static double WriteAndFlush(string path, long bytes)
    {
        var block = new byte[256 << 10];
        RandomNumberGenerator.Fill(block);
        var watch = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            for (long done = 0; done < bytes; done += block.Length)
            {
                file.Write(block, 0, (int)Math.Min(block.Length, bytes - done));
            }

            file.Flush(flushToDisk: true);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        File.Delete(path);
        return seconds;
    }

    private static void Print(Figures figures, int heapLimitMib)
    {
        double megabytes = figures.Bytes / 1e6;
        double downSeconds = double.Parse(figures.Download["seconds"], CultureInfo.InvariantCulture);
        long downBefore = long.Parse(figures.Download["rssBefore"], CultureInfo.InvariantCulture);
        long downGatewayPeak = long.Parse(figures.Download["peakBytes"], CultureInfo.InvariantCulture);
        var firstPublish = Time(figures.Sender, "firstPublishAt");
        double upSeconds = (figures.DecidedAt - firstPublish).TotalSeconds;
        double sentSeconds = (Time(figures.Sender, "sentAt") - firstPublish).TotalSeconds;
        long upBefore = long.Parse(figures.Sender["rssBefore"], CultureInfo.InvariantCulture);
        long upGatewayPeak = long.Parse(figures.Sender["peakBytes"], CultureInfo.InvariantCulture);

        Console.WriteLine();
        var table = new TextTable("direction", "what moved the bytes", "seconds", "MB/s", "gateway RSS: start → peak (growth)", "aggregator RSS: idle → peak (growth)");
        table.Add("down", "model v0: signed range GET → gateway cache file, SHA-256 while streaming, rename", Invariant($"{downSeconds:F2}"), Invariant($"{megabytes / downSeconds:F1}"),
            Growth(downBefore, downGatewayPeak), Growth(figures.Idle, figures.DownPeak));
        table.Add("up", "update: HEAD + PATCH upload → incoming file → SHA-256 → store; contribution over RabbitMQ → streamed checks → accepted", Invariant($"{upSeconds:F2}"), Invariant($"{figures.Bytes / upSeconds / 1e6:F1}"),
            Growth(upBefore, upGatewayPeak), Growth(figures.Idle, figures.UpPeak));
        table.Add("anchor", "bare HttpClient, the same signed GET, body read into nothing", Invariant($"{figures.RawDown:F2}"), Invariant($"{megabytes / figures.RawDown:F1}"), "", "");
        table.Add("anchor", "the same bytes written in 256 KiB writes to a file and flushed to disk", Invariant($"{figures.Disk:F2}"), Invariant($"{megabytes / figures.Disk:F1}"), "", "");
        table.Add("anchor", "SHA-256 of as many bytes in memory, one core", Invariant($"{figures.Hash:F2}"), Invariant($"{megabytes / figures.Hash:F1}"), "", "");
        table.Print();
        Console.WriteLine();
        Console.WriteLine(Invariant($"(prep) aggregator first start: v0 built in memory and published, round 1 opened: {figures.InitSeconds:F1} s, peak RSS {figures.InitPeak / 1048576.0:N0} MiB (then stopped; the measured aggregator is a fresh process)"));
        Console.WriteLine(Invariant($"(prep) gateway release: seeded update in memory → outbox file + signed manifest: {figures.Release["seconds"]} s, peak RSS {long.Parse(figures.Release["peakBytes"], CultureInfo.InvariantCulture) / 1048576.0:N0} MiB"));
        Console.WriteLine(Invariant($"down: the gateway's file hashes to the announced SHA-256 {figures.Model.Sha256}: {figures.Download["verified"]}"));
        Console.WriteLine(Invariant($"up: {figures.Bytes:N0}-byte payload {figures.Release["payloadSha256"]}; upload done and contribution confirmed by the broker at {sentSeconds:F2} s; accepted at {upSeconds:F2} s (wall clock of one machine)"));
        Console.WriteLine("RSS is VmRSS/VmHWM from /proc; the aggregator's peak is reset before each direction; " +
            (heapLimitMib > 0 ? Invariant($"the gateway processes' GC heap is capped at {heapLimitMib} MiB") : "GC left alone"));
    }

    private static string Growth(long before, long peak) =>
        Invariant($"{before / 1048576.0:N0} → {peak / 1048576.0:N0} MiB (+{(peak - before) / 1048576.0:N0})");

    private sealed record Figures(
        ModelReference Model, long Bytes, double InitSeconds, long InitPeak, long Idle, Dictionary<string, string> Download, long DownPeak, double RawDown,
        Dictionary<string, string> Release, Dictionary<string, string> Sender, DateTimeOffset DecidedAt, long UpPeak, double Hash, double Disk);

    private static DateTimeOffset Time(Dictionary<string, string> result, string key) =>
        DateTimeOffset.Parse(result[key], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static async Task<Dictionary<string, string>> RunAsync(string[] arguments, Dictionary<string, string>? environment = null)
    {
        using var child = Start(arguments, environment);
        return await child.ResultAsync();
    }

    private static Child Start(string[] arguments, Dictionary<string, string>? environment = null)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            start.ArgumentList.Add(typeof(PayloadBenchmark).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new Child(arguments[0] == PayloadProcess.BenchmarkName ? arguments[1] : arguments[0], Process.Start(start) ?? throw new InvalidOperationException($"Could not start {path}."));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A side of the benchmark in its own process: echoes its output, hands over its signal and result lines.</summary>
    private sealed class Child : IDisposable
    {
        private readonly string role;
        private readonly Process process;
        private readonly Task<Dictionary<string, string>> result;

        public Child(string role, Process process)
        {
            this.role = role;
            this.process = process;
            result = Task.Run(ReadAsync);
        }

        public Task<Dictionary<string, string>> ResultAsync() => result;

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        private async Task<Dictionary<string, string>> ReadAsync()
        {
            Dictionary<string, string>? outcome = null;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith(PayloadProcess.ResultPrefix, StringComparison.Ordinal))
                {
                    outcome = JsonSerializer.Deserialize<Dictionary<string, string>>(line[PayloadProcess.ResultPrefix.Length..]);
                }
                else
                {
                    Console.WriteLine($"  [{role}] {line}");
                }
            }

            await process.WaitForExitAsync();
            return process.ExitCode == 0 && outcome is not null
                ? outcome
                : throw new InvalidOperationException($"The {role} process failed (exit code {process.ExitCode}); its output is above.");
        }
    }
}
