namespace Federation.Messaging;

/// <summary>Which transport carries federation messages. Configured under <c>Bus</c> (e.g. <c>Bus__Kind=InMemory</c>).</summary>
public sealed class BusOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Bus";

    /// <summary>
    /// The transport: <c>InMemory</c> runs every host in one process (the embedded default);
    /// <c>RabbitMQ</c> connects each host to a broker (see <see cref="RabbitMQ"/>).
    /// </summary>
    public string Kind { get; set; } = BusKinds.InMemory;

    /// <summary>The broker connection, used when <see cref="Kind"/> is <c>RabbitMQ</c> (section <c>Bus:RabbitMQ</c>).</summary>
    public RabbitMqBusOptions RabbitMQ { get; set; } = new();
}

/// <summary>The transports Federation can run on.</summary>
public static class BusKinds
{
    /// <summary>MassTransit's in-memory transport: aggregator and gateways in one process.</summary>
    public const string InMemory = "InMemory";

    /// <summary>A RabbitMQ broker: every host its own process, each signed in as its own broker user.</summary>
    public const string RabbitMQ = "RabbitMQ";

    /// <summary>Every supported kind.</summary>
    public static IReadOnlyList<string> Supported { get; } = [InMemory, RabbitMQ];
}
