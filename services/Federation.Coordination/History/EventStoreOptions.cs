namespace Federation.Coordination.History;

/// <summary>Where the history lives, configured under <c>Aggregator:EventStore</c>.</summary>
public sealed class EventStoreOptions
{
    /// <summary><c>Sqlite</c> (the embedded default: <c>events.db</c> in the data folder) or <c>Postgres</c>.</summary>
    public string Kind { get; set; } = EventStoreKinds.Sqlite;

    /// <summary>The Npgsql connection string when <see cref="Kind"/> is <c>Postgres</c>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The PostgreSQL schema holding the events table.</summary>
    public string Schema { get; set; } = "federation";
}

/// <summary>The event stores the aggregator can use.</summary>
public static class EventStoreKinds
{
    /// <summary>A SQLite file in the data folder.</summary>
    public const string Sqlite = "Sqlite";

    /// <summary>A PostgreSQL server.</summary>
    public const string Postgres = "Postgres";
}
