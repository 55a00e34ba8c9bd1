namespace Federation.Messaging;

/// <summary>Which transport carries federation messages. Configured under <c>Bus</c> (e.g. <c>Bus__Kind=InMemory</c>).</summary>
public sealed class BusOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Bus";

    /// <summary>
    /// The transport: <c>InMemory</c> runs every host in one process (the embedded default).
    /// </summary>
    public string Kind { get; set; } = BusKinds.InMemory;
}

/// <summary>The transports Federation can run on.</summary>
public static class BusKinds
{
    /// <summary>MassTransit's in-memory transport: aggregator and gateways in one process.</summary>
    public const string InMemory = "InMemory";

    /// <summary>Every supported kind.</summary>
    public static IReadOnlyList<string> Supported { get; } = [InMemory];
}
