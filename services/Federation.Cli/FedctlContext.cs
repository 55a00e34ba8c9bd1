using Spectre.Console;

namespace Federation.Cli;

/// <summary>
/// What fedctl's commands write to and how they reach the aggregator. Program passes the process's own streams and
/// environment; tests pass writers they read and a connection to a test host.
/// </summary>
public sealed class FedctlContext
{
    /// <summary>Results: tables and messages, on standard output, which scripts parse.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Help text; the same stream as <see cref="Console"/>.</summary>
    public required TextWriter Output { get; init; }

    /// <summary>Usage errors and progress of long operations, on standard error, so they never mix into results.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Reads an environment variable (FEDERATION_AGGREGATOR, FEDERATION_TOKEN); null when unset.</summary>
    public Func<string, string?> Variable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Makes the API client for an aggregator address and bearer token.</summary>
    public Func<Uri, string, AggregatorClient> Connect { get; init; } = AggregatorClient.Connect;

    /// <summary>The current time, for key status and policy expiry.</summary>
    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;
}
