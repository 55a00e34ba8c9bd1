using Federation.Audit.ReadModels;
using Federation.Contracts.Api;
using Federation.Coordination.Models;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Rounds;

namespace Federation.Coordination.Hosting;

/// <summary>Aggregator settings, bound from the <c>Aggregator</c> configuration section.</summary>
public sealed class AggregatorOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aggregator";

    /// <summary>
    /// Folder for the event history (events.db), the payload store (payloads/) and the announcement
    /// checkpoint (announcements.checkpoint.json).
    /// </summary>
    public string DataDirectory { get; set; } = "data/aggregator";

    /// <summary>Where the event history lives.</summary>
    public History.EventStoreOptions EventStore { get; set; } = new();

    /// <summary>The initial model.</summary>
    public ModelOptions Model { get; set; } = new();

    /// <summary>How rounds run.</summary>
    public RoundPlan Rounds { get; set; } = new();

    /// <summary>Limits on payloads that arrive in chunks (<c>Aggregator:Payloads</c>).</summary>
    public Payloads.PayloadOptions Payloads { get; set; } = new();

    /// <summary>How rounds are announced to the gateways (<c>Aggregator:Announcements</c>).</summary>
    public Announcements.AnnouncementOptions Announcements { get; set; } = new();

    /// <summary>The tamper-evident log's origin and signing key.</summary>
    public Transparency.TransparencyOptions Log { get; set; } = new();

    /// <summary>
    /// Gateways to enrol at the first start, with their public keys and allowed policies; may be
    /// empty when the model team opens rounds (Rounds:Count 0) and gateways are enrolled through the
    /// API. Only a bootstrap: once a gateway is in the history, its keys change through the enrolment API
    /// (<c>fedctl gateways</c>), and the history wins over this list.
    /// </summary>
    public List<GatewayEnrolment> Gateways { get; set; } = [];

    /// <summary>Throws an error naming the setting to fix when the options cannot work.</summary>
    /// <exception cref="InvalidOperationException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(DataDirectory), "Aggregator:DataDirectory is empty; set it to a writable folder.");
        Require(
            EventStore.Kind is History.EventStoreKinds.Sqlite or History.EventStoreKinds.Postgres,
            $"Aggregator:EventStore:Kind is '{EventStore.Kind}'; use {History.EventStoreKinds.Sqlite} or {History.EventStoreKinds.Postgres}.");
        Require(
            EventStore.Kind != History.EventStoreKinds.Postgres || !string.IsNullOrWhiteSpace(EventStore.ConnectionString),
            "Aggregator:EventStore:ConnectionString is empty; set it to the PostgreSQL connection string (Host=…;Port=…;Username=…;Password=…;Database=…).");
        Require(
            Log.Origin.Length > 0 && !Log.Origin.Any(character => char.IsWhiteSpace(character) || character == '+'),
            "Aggregator:Log:Origin must be non-empty, without spaces or '+' (it names the log's signing key), e.g. federation.example/aggregator.");
        foreach (var (gateway, index) in Gateways.Select((gateway, index) => (gateway, index)))
        {
            Require(!string.IsNullOrWhiteSpace(gateway.Id), $"Aggregator:Gateways:{index}:Id is empty.");
            Require(gateway.PublicKeyBytes() is { Length: 32 }, $"Aggregator:Gateways:{index}:PublicKey of '{gateway.Id}' is not a base64 Ed25519 public key (32 bytes).");
            Require(
                gateway.AllowedPolicies.Count > 0 && gateway.AllowedPolicies.All(Federation.Policies.PolicyHash.IsWellFormed),
                $"Aggregator:Gateways:{index}:AllowedPolicies of '{gateway.Id}' must list at least one policy file SHA-256 (64 lowercase hex digits, e.g. from `sha256sum policy.yaml`).");
        }

        Require(Gateways.Select(gateway => gateway.Id).Distinct().Count() == Gateways.Count, "Aggregator:Gateways lists a gateway id twice.");
        Require(Payloads.MaxPayloadBytes > 0, "Aggregator:Payloads:MaxPayloadBytes must be positive.");
        Require(Payloads.MaxIncomingBytes >= Payloads.MaxPayloadBytes, "Aggregator:Payloads:MaxIncomingBytes must be at least Aggregator:Payloads:MaxPayloadBytes.");
        Require(Payloads.MaxIncomingAgeMinutes > 0, "Aggregator:Payloads:MaxIncomingAgeMinutes must be positive.");
        Require(Payloads.WaitSeconds > 0, "Aggregator:Payloads:WaitSeconds must be positive.");
        Require(
            Announcements.RepeatSeconds >= 0 && double.IsFinite(Announcements.RepeatSeconds),
            "Aggregator:Announcements:RepeatSeconds must be 0 (announce each round once) or a positive number of seconds.");
        Require(Rounds.Count >= 0, "Aggregator:Rounds:Count must not be negative.");
        Require(Rounds.MaxUpdateNorm is null or > 0, "Aggregator:Rounds:MaxUpdateNorm must be positive when set.");
        Require(Rounds.ProximalMu >= 0, "Aggregator:Rounds:ProximalMu must not be negative.");
        Require(Rounds.MinParticipants >= 1, "Aggregator:Rounds:MinParticipants must be at least 1.");
        Require(Rounds.Duration > TimeSpan.Zero, "Aggregator:Rounds:Duration must be positive (e.g. 00:05:00).");
        Require(Rounds.Epochs >= 1 && Rounds.BatchSize >= 1, "Aggregator:Rounds:Epochs and BatchSize must be at least 1.");
        Require(Rounds.LearningRate > 0 && double.IsFinite(Rounds.LearningRate), "Aggregator:Rounds:LearningRate must be a positive number.");
        Require(Model.Inputs >= 1 && Model.Classes >= 2, "Aggregator:Model needs Inputs >= 1 and Classes >= 2.");
        try
        {
            Model.ToSpec();
        }
        catch (ArgumentException error)
        {
            throw new InvalidOperationException($"Aggregator:Model: {error.Message}", error);
        }
        // Gateways may be enrolled later through the API, so how many there will be is not known here;
        // the scheduler waits until enough are enrolled before it opens a round.
        if (Rounds.RoundPlanProblem(int.MaxValue) is { } problem)
        {
            throw new InvalidOperationException($"Aggregator:Rounds: {problem}");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
