using Federation.Contracts.Tasks;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Federation.Contracts.Events;
using Federation.EventStore;
using Federation.EventStore.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Federation.Benchmarks.Production;

/// <summary>
/// PostgreSQL appends per second through <see cref="PostgresEventStore"/>, with one writer and with four
/// writers on distinct streams, next to a raw Npgsql binary COPY of the same rows into a table with the
/// same columns, constraints and indexes: the price of what the store adds (advisory append lock, gap-free
/// positions, expected-version and idempotency checks, the append-only trigger) over bulk loading.
/// </summary>
/// <remarks>
/// Events are the stored JSON of real <see cref="ContributionAccepted"/> events. Every measurement gets
/// a fresh schema, is repeated, and reports the median with the range; all scratch schemas are dropped.
/// </remarks>
public sealed class StoreBenchmark : ProductionPart
{
    private const int ConcurrentWriters = 4;
    private const int Repetitions = 3;

    // Metadata as the store writes EventMetadata.Empty, so the COPY rows are the same rows.
    private const string EmptyMetadataJson = """{"correlationId":null,"causationId":null,"headers":{}}""";

    private static readonly string AcceptedType = EventTypes.NameOf(typeof(ContributionAccepted));

    /// <inheritdoc />
    public override string Name => "store";

    /// <inheritdoc />
    public override string Description => "PostgreSQL: PostgresEventStore batched appends/s (1 and 4 writers) vs raw binary COPY [events] [batch]";

    /// <inheritdoc />
    public override string Usage => "store [events per measurement, default 40000] [events per append, default 100]";

    /// <inheritdoc />
    public override async Task<int> MeasureAsync(string[] arguments)
    {
        if (!TryArgument(arguments, 0, 40_000, out var eventCount) || !TryArgument(arguments, 1, 100, out var batch)
            || arguments.Length > 2 || batch < 1 || eventCount < ConcurrentWriters * batch)
        {
            Console.WriteLine($"usage: {Usage}; events must be at least {ConcurrentWriters} × batch");
            return 2;
        }

        var pool = SampleContributions.AcceptedEventData(64);
        var events = Enumerable.Range(0, eventCount)
            .Select(index => new EventData(Guid.CreateVersion7(), AcceptedType, pool[index % pool.Count], EventMetadata.Empty))
            .ToArray();
        var meanBytes = pool.Average(data => Encoding.UTF8.GetByteCount(data));
        var singleEventCount = Math.Max(1_000, eventCount / 20);
        var measurements = new (string Method, int Writers, int Batch, int Events, Func<string, int, int, EventData[], Task<double>> Run)[]
        {
            ("PostgresEventStore.AppendAsync", 1, batch, eventCount, AppendThroughStoreAsync),
            ("raw Npgsql binary COPY", 1, batch, eventCount, CopyAsync),
            ("PostgresEventStore.AppendAsync", ConcurrentWriters, batch, eventCount, AppendThroughStoreAsync),
            ("raw Npgsql binary COPY", ConcurrentWriters, batch, eventCount, CopyAsync),
            // What the aggregator does today: one event per append, one append at a time.
            ("PostgresEventStore.AppendAsync", 1, 1, singleEventCount, AppendThroughStoreAsync),
            ("raw Npgsql binary COPY", 1, 1, singleEventCount, CopyAsync),
        };

        Console.WriteLine(Invariant($"store: {eventCount:N0} events per measurement ({singleEventCount:N0} at 1 event per append), ContributionAccepted JSON of {meanBytes:F0} bytes mean (+ {EmptyMetadataJson.Length}-byte metadata); fresh schema per measurement, median of {Repetitions} (range)"));
        var schemas = new List<string>();
        try
        {
            // Warm-up: JIT, connection pools and the server's catalog caches, in throwaway schemas.
            foreach (var (_, writers, size, _, run) in measurements)
            {
                await MeasureOnceAsync(run, writers, size, events[..Math.Min(events.Length, 20 * size * writers)], schemas);
            }

            var results = new List<(string Method, int Writers, int Batch, int Events, double[] Rates)>();
            foreach (var (method, writers, size, count, run) in measurements)
            {
                var rates = new double[Repetitions];
                for (var repetition = 0; repetition < Repetitions; repetition++)
                {
                    var seconds = await MeasureOnceAsync(run, writers, size, events[..count], schemas);
                    rates[repetition] = count / seconds;
                }

                results.Add((method, writers, size, count, rates));
            }

            var table = new TextTable("method", "writers", "events/append", "events", "events/s (median)", "range", "MB/s of JSON", "store / COPY");
            foreach (var (method, writers, size, count, rates) in results)
            {
                var median = Median(rates);
                var copy = results.First(other => other.Method.StartsWith("raw", StringComparison.Ordinal) && other.Writers == writers && other.Batch == size);
                var ratio = method.StartsWith("raw", StringComparison.Ordinal) ? "" : Invariant($"{median / Median(copy.Rates):P1}");
                table.Add(method, Invariant($"{writers}"), Invariant($"{size}"), Invariant($"{count:N0}"), Invariant($"{median:N0}"),
                    Invariant($"{rates.Min():N0}–{rates.Max():N0}"), Invariant($"{median * meanBytes / 1e6:F1}"), ratio);
            }

            Console.WriteLine();
            table.Print();
            Console.WriteLine();
            Console.WriteLine("Each append is its own transaction (committed, synchronous_commit as shown above); each COPY too, one per batch.");
            Console.WriteLine($"{ConcurrentWriters} writers: one stream each (expected-version appends), sharing one store; the store's appends take turns on one advisory lock per schema.");
            Console.WriteLine("The COPY table has the store's columns, primary key, unique (stream_id, stream_version) and (event_id) indexes and checks, not its append-only triggers.");
            return 0;
        }
        finally
        {
            await ProductionServers.DropSchemasAsync(schemas);
        }
    }

    /// <summary>Runs one measurement in a fresh schema; returns the seconds its writers took (setup not included).</summary>
    private static Task<double> MeasureOnceAsync(
        Func<string, int, int, EventData[], Task<double>> run, int writers, int batch, EventData[] events, List<string> schemas)
    {
        var schema = ProductionServers.ScratchSchema("store");
        schemas.Add(schema);
        return run(schema, writers, batch, events);
    }

    private static async Task<double> AppendThroughStoreAsync(string schema, int writers, int batch, EventData[] events)
    {
        // Opening creates the schema and its table; the clock starts after.
        await using var store = await PostgresEventStore.OpenAsync(ProductionServers.Postgres, schema);
        return await TimedAsync(writers, events, async (writer, share) =>
        {
            var stream = EventStreams.Round(TaskIds.Default, writer + 1);
            long version = ExpectedVersion.NoStream;
            for (var offset = 0; offset < share.Length; offset += batch)
            {
                var slice = share.Slice(offset, Math.Min(batch, share.Length - offset)).ToArray();
                var result = await store.AppendAsync(stream, version, slice);
                version = result.StreamVersion;
            }
        });
    }

    private static async Task<double> CopyAsync(string schema, int writers, int batch, EventData[] events)
    {
        await using var dataSource = NpgsqlDataSource.Create(ProductionServers.Postgres);
        await CreateCopyTableAsync(dataSource, schema);
        var copySql = $"""COPY "{schema}".events (position, stream_id, stream_version, event_id, type, data, metadata, "timestamp") FROM STDIN (FORMAT BINARY)""";
        long lastPosition = 0;
        return await TimedAsync(writers, events, async (writer, share) =>
        {
            var stream = EventStreams.Round(TaskIds.Default, writer + 1);
            long version = 0;
            for (var offset = 0; offset < share.Length; offset += batch)
            {
                var count = Math.Min(batch, share.Length - offset);
                var firstPosition = Interlocked.Add(ref lastPosition, count) - count + 1;
                var timestamp = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var importer = await connection.BeginBinaryImportAsync(copySql);
                for (var i = 0; i < count; i++)
                {
                    var row = share.Span[offset + i];
                    await importer.StartRowAsync();
                    await importer.WriteAsync(firstPosition + i, NpgsqlDbType.Bigint);
                    await importer.WriteAsync(stream, NpgsqlDbType.Text);
                    await importer.WriteAsync(++version, NpgsqlDbType.Bigint);
                    await importer.WriteAsync(row.EventId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync(row.Type, NpgsqlDbType.Text);
                    await importer.WriteAsync(row.Data, NpgsqlDbType.Text);
                    await importer.WriteAsync(EmptyMetadataJson, NpgsqlDbType.Text);
                    await importer.WriteAsync(timestamp, NpgsqlDbType.Text);
                }

                await importer.CompleteAsync();
            }
        });
    }

    /// <summary>Splits <paramref name="events"/> into one share per writer, runs the writers at once, and returns the seconds until the last finished.</summary>
    private static async Task<double> TimedAsync(int writers, EventData[] events, Func<int, ReadOnlyMemory<EventData>, Task> writer)
    {
        var share = events.Length / writers;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(index =>
            Task.Run(() => writer(index, events.AsMemory(index * share, index == writers - 1 ? events.Length - index * share : share)))));
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The store's events table (migration 1 of PostgresSchema) without its triggers.</summary>
    private static async Task CreateCopyTableAsync(NpgsqlDataSource dataSource, string schema)
    {
        await using var command = dataSource.CreateCommand($$"""
            CREATE SCHEMA "{{schema}}";
            CREATE TABLE "{{schema}}".events (
                position       bigint NOT NULL,
                stream_id      text   COLLATE "C" NOT NULL,
                stream_version bigint NOT NULL,
                event_id       uuid   NOT NULL,
                type           text   NOT NULL,
                data           text   NOT NULL,
                metadata       text   NOT NULL,
                "timestamp"    text   NOT NULL,
                CONSTRAINT events_pkey PRIMARY KEY (position),
                CONSTRAINT events_stream_id_stream_version UNIQUE (stream_id, stream_version),
                CONSTRAINT events_event_id UNIQUE (event_id),
                CONSTRAINT events_position_check CHECK (position >= 1),
                CONSTRAINT events_stream_version_check CHECK (stream_version >= 1),
                CONSTRAINT events_timestamp_check
                    CHECK ("timestamp" ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}Z$')
            );
            """);
        await command.ExecuteNonQueryAsync();
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static bool TryArgument(string[] arguments, int position, int fallback, out int value)
    {
        value = fallback;
        return arguments.Length <= position
            || int.TryParse(arguments[position], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
