using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Federation.Benchmarks.Production;

/// <summary>
/// One signed update of about 1 GB from a gateway process to an aggregator process over the real RabbitMQ, with the
/// aggregator's history in PostgreSQL: how long from the first chunk published to the <c>ContributionAccepted</c>
/// event, at how many MB/s, and each process's peak memory (VmHWM). Each side is a separate process started from this
/// one (<see cref="PayloadProcess"/>), running the product's own code: the gateway's outbox sender and bus publisher,
/// the aggregator's chunk consumer, payload store, contribution checks and round coordinator.
/// </summary>
/// <remarks>
/// Two more processes prepare, and are reported apart because they are not the transfer: the aggregator's first
/// start, which publishes the 1 GB initial model (version 0, the update's base) and opens a round, and the gateway's
/// release, which holds the trained update in memory (as training does) and streams it to its outbox file. The
/// measured processes then start fresh: the aggregator reads only the base model's header, the gateway only its outbox.
/// The round invites a second gateway that never sends, so it stays open and nothing is aggregated: aggregation is
/// model-sized by nature and not part of the transfer. The aggregator's announcer is switched off here, because
/// announcing a 1 GB base model inline is not possible yet (the aggregator → gateway direction is not chunked).
/// </remarks>
public sealed class PayloadBenchmark : ProductionPart
{
    /// <summary>784 → H → 10 with H = 337,655: 268,435,735 parameters, 1,073,742,940 bytes of F32 (1,073,743,292 with the header).</summary>
    internal const int DefaultHidden = 337_655;

    /// <inheritdoc />
    public override string Name => "payload";

    /// <inheritdoc />
    public override string Description => "RabbitMQ + PostgreSQL: one ~1 GB signed update, gateway and aggregator in two processes: time, MB/s, peak RSS [hidden units]";

    /// <inheritdoc />
    public override string Usage => "payload [hidden units H of the 784-H-10 MLP update, default 337,655 ≈ 1 GiB of F32] [GC heap hard limit in MiB for the two measured processes, default none]";

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

        long parameters = (784L * hidden) + hidden + (10L * hidden) + 10;
        var folder = Path.Combine(Path.GetTempPath(), $"federation-payload-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        // The model (v0) and the update, each in the store and in transit files, plus the broker's own copies.
        long needed = 6 * parameters * sizeof(float);
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (free < needed)
        {
            Console.WriteLine(Invariant($"payload: {free:N0} bytes free under {folder}; at least {needed:N0} are needed."));
            return 1;
        }

        Console.WriteLine(Invariant($"payload: MLP 784-{hidden}-10, {parameters:N0} parameters; update ≈ {parameters * 4:N0} bytes of F32 safetensors; chunks of {Federation.Site.GatewayNode.DefaultPayloadChunkBytes:N0} bytes"));
        // A cap far below the payload's size shows that neither measured process holds it: the GC would fail first.
        var measured = heapLimitMib > 0
            ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x" + ((long)heapLimitMib << 20).ToString("x", CultureInfo.InvariantCulture) }
            : [];
        Console.WriteLine(heapLimitMib > 0
            ? Invariant($"  the measured gateway and aggregator processes run with DOTNET_GCHeapHardLimit = {heapLimitMib} MiB")
            : "  the measured processes run with the GC's defaults (no heap limit)");
        var schema = ProductionServers.ScratchSchema("payload");
        var common = new[] { hidden.ToString(CultureInfo.InvariantCulture), schema, folder };
        try
        {
            await BusBenchmark.DeleteHostQueuesAsync();
            var init = await RunAsync([PayloadProcess.AggregatorInit, .. common]);
            var release = await RunAsync([PayloadProcess.GatewayRelease, .. common, init["round"], init["baseModelSha256"]]);

            using var aggregator = Start([PayloadProcess.Aggregator, .. common, release["payloadSha256"]], measured);
            await aggregator.WaitForAsync("ready");
            var sender = await RunAsync([PayloadProcess.GatewaySender, .. common], measured);
            var received = await aggregator.ResultAsync();

            Print(release, sender, received, init, heapLimitMib);
            return received["outcome"] == "accepted" ? 0 : 1;
        }
        finally
        {
            await BusBenchmark.DeleteHostQueuesAsync();
            await ProductionServers.DropSchemasAsync([schema]);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Print(
        Dictionary<string, string> release, Dictionary<string, string> sender, Dictionary<string, string> received, Dictionary<string, string> init, int heapLimitMib)
    {
        long bytes = long.Parse(release["payloadBytes"], CultureInfo.InvariantCulture);
        double Seconds(Dictionary<string, string> result, string key) => (Time(result, key) - Time(sender, "firstPublishAt")).TotalSeconds;
        double wall = Seconds(received, "decidedAt");

        var table = new TextTable("process", "what it did", "seconds", "peak RSS (VmHWM)");
        table.Add("gateway sender", "outbox file → 4 MiB chunks (each confirmed) → contribution; marked sent", Invariant($"{Seconds(sender, "sentAt"):F2}"), Mb(sender, "peakBytes"));
        table.Add("aggregator", "chunks → incoming file → SHA-256 → store; contribution → streamed checks → accepted", Invariant($"{wall:F2}"), Mb(received, "peakBytes"));
        table.Add("(prep) aggregator first start", "initial model v0 (the base) → store + PostgreSQL; round opened", init["seconds"], Mb(init, "peakBytes"));
        table.Add("(prep) gateway release", "update in memory (as after training) → outbox file + signed manifest", release["seconds"], Mb(release, "peakBytes"));

        Console.WriteLine();
        table.Print();
        Console.WriteLine();
        Console.WriteLine(Invariant($"{received["outcome"]}: {bytes:N0}-byte payload {release["payloadSha256"]}"));
        if (received.TryGetValue("rejection", out var rejection))
        {
            Console.WriteLine($"  rejected: {rejection}");
        }

        Console.WriteLine(Invariant($"  first chunk published → ContributionAccepted: {wall:F2} s, {bytes / wall / 1e6:F1} MB/s of payload"));
        Console.WriteLine(Invariant($"  last chunk confirmed and contribution published at {Seconds(sender, "sentAt"):F2} s; payload assembled, hashed and in the store at {Seconds(received, "storedAt"):F2} s; accepted (after the streamed checks) at {wall:F2} s"));
        Console.WriteLine("  seconds are wall-clock on this machine (both processes read the same clock); peak RSS is each process's VmHWM from /proc/self/status at its end, " +
            (heapLimitMib > 0 ? Invariant($"with the measured processes' GC heap capped at {heapLimitMib} MiB") : "GC left alone"));
    }

    private static DateTimeOffset Time(Dictionary<string, string> result, string key) =>
        DateTimeOffset.Parse(result[key], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static string Mb(Dictionary<string, string> result, string key) =>
        Invariant($"{long.Parse(result[key], CultureInfo.InvariantCulture) / 1048576.0:N0} MiB");

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

        start.ArgumentList.Add(PayloadProcess.BenchmarkName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new Child(arguments[0], Process.Start(start) ?? throw new InvalidOperationException($"Could not start {path}."));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A side of the benchmark in its own process: echoes its output, hands over its signal and result lines.</summary>
    private sealed class Child : IDisposable
    {
        private readonly string role;
        private readonly Process process;
        private readonly Task<Dictionary<string, string>> result;
        private readonly Dictionary<string, TaskCompletionSource> signals = [];

        public Child(string role, Process process)
        {
            this.role = role;
            this.process = process;
            result = Task.Run(ReadAsync);
        }

        public async Task WaitForAsync(string signal)
        {
            Task waited;
            lock (signals)
            {
                waited = Signal(signal).Task;
            }

            if (await Task.WhenAny(waited, result) != waited)
            {
                await result;
                throw new InvalidOperationException($"The {role} process ended before it was {signal}.");
            }
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

        private TaskCompletionSource Signal(string signal)
        {
            if (!signals.TryGetValue(signal, out var source))
            {
                signals[signal] = source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return source;
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
                else if (line.StartsWith(PayloadProcess.SignalPrefix, StringComparison.Ordinal))
                {
                    lock (signals)
                    {
                        Signal(line[PayloadProcess.SignalPrefix.Length..]).TrySetResult();
                    }
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
