using System.Collections.Concurrent;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Hosting;
using Federation.Coordination.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Federation.Aggregator.Tests;

/// <summary>What an operator reads in the aggregator's log when a gateway is enrolled at start-up.</summary>
public sealed class GatewayKeysLogTests : IDisposable
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-keys-log-{Guid.NewGuid():N}");

    [Fact]
    public async Task An_enrolment_from_the_settings_is_logged_with_its_policies_not_a_dotnet_type_name()
    {
        var logs = new LogLines();
        var gateway = new TestGateway("factory-1");
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.AddProvider(logs));
        collection.AddAggregator(new AggregatorOptions
        {
            DataDirectory = dataDirectory,
            Model = new ModelOptions { Inputs = 4, Classes = 3 },
            Gateways = [new GatewayEnrolment { Id = gateway.Id, PublicKey = Convert.ToBase64String(gateway.Key.PublicKey.Span), AllowedPolicies = [TestGateway.PolicySha256] }],
        });
        await using var services = collection.BuildServiceProvider();

        await services.GetRequiredService<GatewayKeys>().InitializeAsync(CancellationToken.None);

        var enrolment = logs.Lines.Where(line => line.StartsWith("Gateway factory-1:", StringComparison.Ordinal)).ShouldHaveSingleItem();
        enrolment.ShouldContain("federation.gateway-key-enrolled.v1");
        enrolment.ShouldContain(TestGateway.PolicySha256);
        enrolment.ShouldNotContain("System.");
    }

    public void Dispose()
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyList<string> Lines => [.. lines];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
