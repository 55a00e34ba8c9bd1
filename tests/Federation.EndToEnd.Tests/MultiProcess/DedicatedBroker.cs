namespace Federation.EndToEnd.Tests.MultiProcess;

/// <summary>
/// A RabbitMQ node of its own for the multi-process tests, started and stopped by the project's
/// ops/rabbitmq scripts (the same ones make infra-up uses) on other ports and another data folder.
/// These tests stop the broker on purpose; the shared node the other suites use is never touched.
/// </summary>
internal sealed class DedicatedBroker
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public DedicatedBroker(int port)
    {
        Port = port;
        Environment = new Dictionary<string, string>
        {
            ["FEDERATION_RABBITMQ_NODE"] = $"federation-e2e-{port}@localhost",
            ["FEDERATION_RABBITMQ_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FEDERATION_RABBITMQ_DIST_PORT"] = (port + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FEDERATION_RABBITMQ_BASE"] = $"/var/lib/federation/rabbitmq-e2e-{port}",
            ["FEDERATION_RABBITMQ_VHOST"] = "federation",
            ["FEDERATION_RABBITMQ_TEST_VHOST"] = "federation-tests",
        };
    }

    public int Port { get; }

    /// <summary>The virtual host the hosts use; each test takes its own, so no queue carries over.</summary>
    public string VirtualHost => Environment["FEDERATION_RABBITMQ_VHOST"];

    private Dictionary<string, string> Environment { get; }

    /// <summary>Starts the node (from empty when <paramref name="fresh"/>), with its users and their permissions on <paramref name="virtualHost"/>.</summary>
    public async Task StartAsync(string virtualHost, bool fresh = false)
    {
        Environment["FEDERATION_RABBITMQ_VHOST"] = virtualHost;
        if (fresh)
        {
            await RunAsync("down.sh", "--purge");
        }

        await RunAsync("up.sh");
    }

    /// <summary>Stops the node; queues and their messages stay on disk for the next start.</summary>
    public Task StopAsync() => RunAsync("down.sh");

    /// <summary>Starts the node again after <see cref="StopAsync"/>, with the same virtual host.</summary>
    public Task RestartAsync() => RunAsync("up.sh");

    /// <summary>Stops the node and deletes its data.</summary>
    public Task DeleteAsync() => RunAsync("down.sh", "--purge");

    /// <summary>The bus settings of a host signed in as <paramref name="user"/> (password = user name on this local node).</summary>
    public Dictionary<string, string> BusSettings(string user) => new()
    {
        ["Bus__Kind"] = "RabbitMQ",
        ["Bus__RabbitMQ__Host"] = "127.0.0.1",
        ["Bus__RabbitMQ__Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus__RabbitMQ__VirtualHost"] = VirtualHost,
        ["Bus__RabbitMQ__Username"] = user,
        ["Bus__RabbitMQ__Password"] = user,
    };

    private async Task RunAsync(string script, params string[] arguments)
    {
        await Gate.WaitAsync();
        try
        {
            await Repository.RunScriptAsync(Path.Combine("ops", "rabbitmq", script), Environment, arguments);
        }
        finally
        {
            Gate.Release();
        }
    }
}
