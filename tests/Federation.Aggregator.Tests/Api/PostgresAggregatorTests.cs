using System.Net;
using System.Net.Http.Json;
using Federation.EventStore.Postgres;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Federation.Aggregator.Tests.Api;

/// <summary>The same aggregator host with its history in the real local PostgreSQL (started by make infra-up).</summary>
public sealed class PostgresAggregatorFactory : AggregatorApiFactory
{
    public static readonly string ConnectionString = Environment.GetEnvironmentVariable("FEDERATION_POSTGRES")
        ?? "Host=127.0.0.1;Port=55432;Username=federation;Password=federation;Database=federation";

    public string Schema { get; } = $"federation_test_{Guid.NewGuid():N}";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Aggregator:EventStore:Kind", "Postgres");
        builder.UseSetting("Aggregator:EventStore:ConnectionString", ConnectionString);
        builder.UseSetting("Aggregator:EventStore:Schema", Schema);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

public sealed class PostgresAggregatorTests(PostgresAggregatorFactory factory) : IClassFixture<PostgresAggregatorFactory>
{
    [Fact]
    public async Task The_aggregator_keeps_its_history_in_PostgreSQL_when_configured_to()
    {
        var operatorClient = factory.ClientWith(AggregatorApiFactory.OperatorToken);

        // Once the task list answers, the configured job is recorded as task default; the round follows it.
        (await operatorClient.GetAsync("/api/tasks")).EnsureSuccessStatusCode();
        var opened = await operatorClient.PostAsJsonAsync("/api/rounds", new { durationSeconds = 600 });

        opened.StatusCode.ShouldBe(HttpStatusCode.Created);
        await using var store = await PostgresEventStore.OpenAsync(PostgresAggregatorFactory.ConnectionString, factory.Schema);
        var types = await store.ReadAllAsync().Select(recorded => recorded.Type).ToListAsync();
        types.ShouldBe(["federation.gateway-key-enrolled.v1", "federation.gateway-key-enrolled.v1", "federation.model-version-published.v1", "federation.task-created.v2", "federation.round-opened.v1"]);
    }
}
