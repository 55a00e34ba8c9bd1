using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Audit.ReadModels;
using Federation.Audit.Registry;
using Federation.Audit.Transparency;
using Federation.Audit;
using Federation.Contracts.Api;
using Federation.Coordination.Announcements;
using Federation.Coordination.Contributions;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Evaluations;
using Federation.Coordination.History;
using Federation.Coordination.Payloads;
using Federation.Coordination.Releases;
using Federation.Coordination.Rounds;
using Federation.Coordination.Tasks;
using Federation.Coordination.Transparency;
using Federation.EventStore.Postgres;
using Federation.EventStore;
using Federation.Trust.Transparency;
using Federation.Trust;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Coordination.Hosting;

/// <summary>Adds the aggregator to a host.</summary>
public static class AggregatorRegistration
{
    /// <summary>
    /// Adds the aggregator's services, its announcement publisher and its round scheduler. Call
    /// after the bus is added: hosted services start in registration order, so the bus has
    /// started before the publisher sends the first announcement.
    /// </summary>
    /// <exception cref="InvalidOperationException">The options are invalid; the message names the setting.</exception>
    public static IServiceCollection AddAggregator(this IServiceCollection services, AggregatorOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => OpenEventStore(options, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EventHistory>();
        services.AddSingleton(new PayloadStore(Path.Combine(options.DataDirectory, "payloads")));
        services.AddSingleton(options.Payloads);
        services.AddSingleton(options.Model);
        // The configured default plan: what the scheduler opens rounds with.
        services.AddSingleton(options.Rounds);
        services.AddSingleton<PayloadArrivals>();
        services.AddSingleton<PayloadAssembly>();
        services.AddSingleton<PayloadUploads>();
        // One gate for every decision, round and key streams alike (see DecisionGate).
        services.AddSingleton<DecisionGate>();
        // The settings' gateways are only a bootstrap for the history; see GatewayKeys.InitializeAsync.
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<GatewayKeys>(provider, (IReadOnlyList<GatewayEnrolment>)options.Gateways));
        services.AddSingleton<ContributionVerification>();
        services.AddSingleton<ModelPublishing>();
        // One coordinator per task; the default task's is a service of its own (the demo and tests read it).
        services.AddSingleton<Func<string, RoundCoordinator>>(provider => task => ActivatorUtilities.CreateInstance<RoundCoordinator>(provider, task));
        services.AddSingleton(provider => provider.GetRequiredService<Func<string, RoundCoordinator>>()(TaskIds.Default));
        services.AddSingleton<TaskRounds>();
        services.AddSingleton<TaskRegistry>();
        services.AddSingleton<ReleaseRecorder>();
        services.AddSingleton<EvaluationRecorder>();
        services.AddSingleton<FederationProgress>();
        // Loaded now, so a missing or broken key file stops the start with its name, not the first request.
        var signer = new NoteSigner(options.Log.Origin, LoadOrCreateKey(options));
        services.AddSingleton(provider => new TransparencyLog(provider.GetRequiredService<IEventStore>(), signer, options.Log.Origin));
        services.AddSingleton(options.Announcements);
        services.AddSingleton(new AnnouncementCheckpoint(Path.Combine(options.DataDirectory, AnnouncementCheckpoint.FileName)));
        services.AddHostedService<AnnouncementPublisher>();
        services.AddHostedService<RoundScheduler>();
        return services;
    }

    private static IEventStore OpenEventStore(AggregatorOptions options, TimeProvider clock)
    {
        if (options.EventStore.Kind == EventStoreKinds.Sqlite)
        {
            return SqliteEventStore.OpenAsync(Path.Combine(options.DataDirectory, "events.db"), clock).GetAwaiter().GetResult();
        }

        try
        {
            return PostgresEventStore.OpenAsync(options.EventStore.ConnectionString, options.EventStore.Schema, clock).GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is Npgsql.NpgsqlException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"Cannot open the PostgreSQL event store set by Aggregator:EventStore:ConnectionString (schema '{options.EventStore.Schema}'): {error.Message}", error);
        }
    }

    private static Ed25519KeyPair LoadOrCreateKey(AggregatorOptions options)
    {
        // Only the default key is created when missing: a configured path that does not exist is
        // a mistake (a typo, a missing mount), and a fresh key there would sign checkpoints
        // with a key no auditor has pinned.
        if (!string.IsNullOrWhiteSpace(options.Log.KeyFile))
        {
            return File.Exists(options.Log.KeyFile)
                ? Ed25519KeyFile.Load(options.Log.KeyFile)
                : throw new InvalidOperationException($"Aggregator:Log:KeyFile points at {options.Log.KeyFile}, which does not exist; fix the path or leave the setting empty to use <DataDirectory>/aggregator.key.");
        }

        var path = Path.Combine(options.DataDirectory, "aggregator.key");
        if (File.Exists(path))
        {
            return Ed25519KeyFile.Load(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = Ed25519KeyPair.Generate();
        Ed25519KeyFile.Save(path, key);
        return key;
    }

    /// <summary>Registers the aggregator's consumers on the bus, whatever the transport.</summary>
    public static IBusRegistrationConfigurator AddAggregatorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<ContributionSubmittedConsumer, ContributionSubmittedConsumerDefinition>();
        bus.AddConsumer<ContributionPayloadChunkConsumer, ContributionPayloadChunkConsumerDefinition>();
        bus.AddConsumer<EvaluationReportedConsumer>().Endpoint(endpoint => endpoint.Name = "aggregator-evaluations");
        return bus;
    }
}
