using System.Text;
using Federation.Contracts;
using Federation.Policies;
using Federation.Site.State;
using Federation.Trust;

namespace Federation.Site;

/// <summary>
/// One factory's gateway: its identity and signing key, and the data that stays on site.
/// Everything it hands out (a round's update, <c>Contributions.LocalTraining</c>; an evaluation report,
/// <c>Evaluation.LocalEvaluation</c>) is derived from that data by the task's trainer (<see cref="Trainers"/>), never the data itself.
/// </summary>
public sealed class GatewayNode
{
    private readonly Ed25519KeyPair key;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AnnouncementLedger> ledgers = new(StringComparer.Ordinal);

    /// <summary>Creates a gateway with one trainer for every task.</summary>
    /// <param name="id">Gateway id as enrolled with the aggregator.</param>
    /// <param name="key">The gateway's signing key; it never leaves the node.</param>
    /// <param name="policy">The factory's release policy; nothing leaves without one.</param>
    /// <param name="trainer">What trains on the site's data and holds its held-out share (<see cref="Training.ILocalTrainer"/>).</param>
    /// <param name="clock">Clock for signing and decision times.</param>
    /// <param name="aggregatorKeyId">
    /// Key id of the aggregator this gateway sends to (<c>Gateway:AggregatorKeyId</c>); the policy's
    /// <c>aggregatorKeys</c> must list it, or nothing leaves.
    /// </param>
    /// <param name="state">The gateway's own persistent state (decision record, outbox, sequence, ledgers).</param>
    public GatewayNode(string id, Ed25519KeyPair key, LoadedPolicy policy, Training.ILocalTrainer trainer, TimeProvider clock, string aggregatorKeyId, GatewayState state)
        : this(id, key, policy, new Training.TaskTrainers(trainer), clock, aggregatorKeyId, state)
    {
    }

    /// <summary>Creates a gateway whose tasks may each have their own trainer.</summary>
    /// <param name="id">Gateway id as enrolled with the aggregator.</param>
    /// <param name="key">The gateway's signing key; it never leaves the node.</param>
    /// <param name="policy">The factory's release policy; nothing leaves without one.</param>
    /// <param name="trainers">The trainer of each task (<see cref="Training.TaskTrainers"/>).</param>
    /// <param name="clock">Clock for signing and decision times.</param>
    /// <param name="aggregatorKeyId">
    /// Key id of the aggregator this gateway sends to (<c>Gateway:AggregatorKeyId</c>); the policy's
    /// <c>aggregatorKeys</c> must list it, or nothing leaves.
    /// </param>
    /// <param name="state">The gateway's own persistent state (decision record, outbox, sequence, ledgers).</param>
    public GatewayNode(string id, Ed25519KeyPair key, LoadedPolicy policy, Training.TaskTrainers trainers, TimeProvider clock, string aggregatorKeyId, GatewayState state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trainers);
        ArgumentNullException.ThrowIfNull(aggregatorKeyId);
        ArgumentNullException.ThrowIfNull(state);
        Id = id;
        this.key = key;
        Policy = policy;
        Trainers = trainers;
        Clock = clock;
        AggregatorKeyId = aggregatorKeyId;
        State = state;
    }

    /// <summary>The default of <see cref="PayloadChunkBytes"/>: 4 MiB, far below the broker's message size limit.</summary>
    public const int DefaultPayloadChunkBytes = 4 << 20;

    /// <summary>Gateway id as enrolled with the aggregator.</summary>
    public string Id { get; }

    /// <summary>
    /// The largest payload that travels inside its contribution message (<c>Gateway:PayloadChunkBytes</c>). A larger
    /// one waits in a file and is uploaded (<see cref="Outbox.IPayloadDestination"/>), followed by the contribution naming it by hash.
    /// </summary>
    public int PayloadChunkBytes { get; init; } = DefaultPayloadChunkBytes;

    /// <summary>Id of the signing key (SHA-256 of the public key).</summary>
    public string KeyId => key.KeyId;

    /// <summary>The Ed25519 public key, for enrolment.</summary>
    public ReadOnlyMemory<byte> PublicKey => key.PublicKey;

    /// <summary>The factory's release policy and the SHA-256 of its file, which every manifest names.</summary>
    public LoadedPolicy Policy { get; }

    /// <summary>The trainer of each task: what trains on the site's data for it (and holds its held-out share for evaluation).</summary>
    public Training.TaskTrainers Trainers { get; }

    /// <summary>The trainer of task <c>default</c> and of every task without its own (<c>Gateway:Training</c>).</summary>
    public Training.ILocalTrainer Trainer => Trainers.Default;

    /// <summary>Clock for signing and decision times.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Key id of the aggregator this gateway sends to; checked against the policy's <c>aggregatorKeys</c>.</summary>
    public string AggregatorKeyId { get; }

    /// <summary>The gateway's persistent state: decision record, outbox, sequence counter, ledgers.</summary>
    public GatewayState State { get; }

    /// <summary>Rounds of <paramref name="task"/> this gateway has contributed to or refused (or is training for).</summary>
    internal AnnouncementLedger Rounds(string task) => Ledger(GatewayState.RoundsLedgerOf(task));

    /// <summary>Model versions of <paramref name="task"/> this gateway has evaluated or refused to report on (or is evaluating).</summary>
    internal AnnouncementLedger Models(string task) => Ledger(GatewayState.ModelsLedgerOf(task));

    // Round and version numbers count per task, so each task has its own high-water marks, read once from the state.
    private AnnouncementLedger Ledger(string name) => ledgers.GetOrAdd(name, ledger => new AnnouncementLedger(State.LastCompleted(ledger)));

    /// <summary>
    /// Held from the policy decision to the committed release, so that two releases of one node can neither spend
    /// the same privacy budget nor take the same sequence number.
    /// </summary>
    internal Lock ReleaseGate { get; } = new();

    /// <summary>Signing time, truncated to milliseconds so manifests stay short and readable.</summary>
    internal DateTimeOffset Now()
    {
        var now = Clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    /// <summary>
    /// The secret seed of the DP-SGD noise for one release: derived from the gateway's signing key
    /// and what the release is (round, base model, sequence number), so nobody else can compute it,
    /// a sequence number is never reused so neither is the noise, and the same gateway retraining
    /// the same release gets the same bytes — which makes a federation reproducible end to end.
    /// </summary>
    internal byte[] NoiseSeed(int round, string baseModelSha256, long sequence) =>
        key.DeriveSecret(Encoding.UTF8.GetBytes($"federation/dp-sgd-noise/v1\n{Id}\n{round}\n{baseModelSha256}\n{sequence}"));


    /// <summary>
    /// Signs a document: RFC 8785 canonical JSON of <paramref name="document"/>, then Ed25519
    /// over its UTF-8 bytes. Returns the signed text and the base64 signature.
    /// </summary>
    internal (string Json, string Signature) Sign<T>(T document)
    {
        var canonical = JsonCanonicalizer.Serialize(document, FederationJson.Options);
        return (Encoding.UTF8.GetString(canonical), Convert.ToBase64String(key.Sign(canonical)));
    }
}
