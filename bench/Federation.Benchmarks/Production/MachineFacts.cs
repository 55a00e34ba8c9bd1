using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;

namespace Federation.Benchmarks.Production;

/// <summary>
/// What the figures were measured on. Whether other work ran at the same time cannot be known from
/// inside the process; what can be said is whether the shared build lock was held (the README asks
/// that benchmarks run under it, so nothing else that takes the lock ran meanwhile) and the load
/// average when the run began.
/// </summary>
internal static class MachineFacts
{
    public const string BuildLock = "/tmp/federation-build.lock";

    public static async Task PrintAsync()
    {
        Console.WriteLine("machine");
        Console.WriteLine(Invariant($"  cores: {Environment.ProcessorCount} ({CpuModel()}), memory {MemoryGb():F1} GB, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}"));
        Console.WriteLine($"  build lock {BuildLock}: {BuildLockState()}; load average at start (1/5/15 min): {LoadAverage()}");
        Console.WriteLine("  all of it on this one machine: benchmark process (publishers and aggregator), RabbitMQ and PostgreSQL share the cores, over loopback");
        Console.WriteLine($"  PostgreSQL: {ProductionServers.PostgresShown}; {await PostgresFactsAsync()}");
        Console.WriteLine($"  RabbitMQ: {ProductionServers.RabbitShown}; {await RabbitFactsAsync()}");
        Console.WriteLine();
    }

    private static string BuildLockState()
    {
        if (!File.Exists(BuildLock))
        {
            return "does not exist, so this run was not started under it";
        }

        try
        {
            // .NET on Linux takes flock(LOCK_EX | LOCK_NB) for FileShare.None, the same lock flock(1) holds.
            using var probe = new FileStream(BuildLock, FileMode.Open, FileAccess.Read, FileShare.None);
            return "NOT held: other builds, tests or benchmarks may have run during these measurements";
        }
        catch (IOException)
        {
            return "held (by the flock this run was started under, or by another process that the run then shared the machine with)";
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static double MemoryGb() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9;

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static async Task<string> PostgresFactsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ProductionServers.Postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), "
                + "current_setting('shared_buffers'), current_setting('wal_level');",
                connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return $"server {reader.GetString(0)}, fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, shared_buffers={reader.GetString(3)}, wal_level={reader.GetString(4)}";
        }
        catch (Exception error) when (error is NpgsqlException or InvalidOperationException)
        {
            return $"UNREACHABLE ({error.Message}); start it with `make infra-up`";
        }
    }

    private static async Task<string> RabbitFactsAsync()
    {
        try
        {
            await using var connection = await ProductionServers.ConnectRabbitAsync(ProductionServers.RabbitAdmin, "machine facts");
            var version = connection.ServerProperties?.TryGetValue("version", out var value) == true && value is byte[] bytes
                ? System.Text.Encoding.UTF8.GetString(bytes)
                : "unknown";
            return $"server {version}";
        }
        catch (Exception error) when (error is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException)
        {
            return $"UNREACHABLE ({error.GetBaseException().Message}); start it with `make infra-up`";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
