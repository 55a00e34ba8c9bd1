namespace Federation.Messaging;

/// <summary>
/// How a host reaches RabbitMQ, bound from <c>Bus:RabbitMQ</c> (environment: <c>Bus__RabbitMQ__Host</c>, ...).
/// The defaults point at the node that <c>ops/rabbitmq/up.sh</c> starts on loopback; the user and
/// password are this host's own broker account (a gateway signs in as its gateway id).
/// </summary>
public sealed class RabbitMqBusOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Bus:RabbitMQ";

    /// <summary>The broker's host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The broker's AMQP port (Federation's own node listens on 55672, not the usual 5672).</summary>
    public int Port { get; set; } = 55672;

    /// <summary>The virtual host that holds Federation's exchanges and queues.</summary>
    public string VirtualHost { get; set; } = "federation";

    /// <summary>This host's broker user: <c>aggregator</c>, or the gateway's id.</summary>
    public string Username { get; set; } = "";

    /// <summary>The broker user's password.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// The queue of MassTransit's bus endpoint (replies and faults addressed to this process). Empty
    /// means <c>bus-&lt;Username&gt;</c>: a fixed name, so the broker permissions can name it exactly.
    /// </summary>
    public string BusQueue { get; set; } = "";

    /// <summary>How long startup may try to reach and sign in to the broker before it fails.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long startup keeps retrying a broker it cannot reach (refused connection, no answer)
    /// before it fails, logging each attempt with the settings to check. Zero fails at the first
    /// attempt. A wrong password or virtual host always fails at once: waiting cannot fix it.
    /// Gateways default to a day, so a factory's gateway outlives a broker or network outage at
    /// boot with its outbox intact.
    /// </summary>
    public TimeSpan WaitForBroker { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long the bus may take to declare its exchanges and queues and start consuming, once
    /// signed in. Past it, startup fails (e.g. when the broker refuses this user an endpoint)
    /// instead of retrying for ever.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The bus endpoint's queue name: <see cref="BusQueue"/>, or <c>bus-&lt;Username&gt;</c>.</summary>
    public string BusQueueName => string.IsNullOrWhiteSpace(BusQueue) ? $"bus-{Username}" : BusQueue;

    /// <summary>Throws an error naming the setting to fix when the options cannot work.</summary>
    /// <exception cref="InvalidOperationException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new InvalidOperationException($"{Section}:Host is empty; set it to the broker's host name (the local node is 127.0.0.1).");
        }

        if (Port is < 1 or > ushort.MaxValue)
        {
            throw new InvalidOperationException($"{Section}:Port must be between 1 and 65535; it is {Port}.");
        }

        if (string.IsNullOrWhiteSpace(VirtualHost))
        {
            throw new InvalidOperationException($"{Section}:VirtualHost is empty; Federation's is 'federation'.");
        }

        if (string.IsNullOrWhiteSpace(Username))
        {
            throw new InvalidOperationException(
                $"{Section}:Username is empty; set it to this host's broker user ('aggregator', or the gateway's id).");
        }

        if (string.IsNullOrEmpty(Password))
        {
            throw new InvalidOperationException($"{Section}:Password is empty; set it to the password of broker user '{Username}'.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{Section}:ConnectTimeout must be positive; it is {ConnectTimeout}.");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{Section}:StartTimeout must be positive; it is {StartTimeout}.");
        }
    }
}
