using System.Text;
using Federation.Contracts;
using Federation.Learning.Data;
using Federation.Policies;
using Federation.Trust;

namespace Federation.Gateway;

/// <summary>
/// One factory's gateway: its identity and signing key, and the data that stays on site.
/// Everything it hands out (<see cref="Training.LocalTraining"/>, <see cref="Evaluation.LocalEvaluation"/>)
/// is derived from that data, never the data itself.
/// </summary>
public sealed class GatewayNode
{
    private readonly Ed25519KeyPair key;
    private long lastSequence;

    /// <summary>Creates a gateway.</summary>
    /// <param name="id">Gateway id as enrolled with the aggregator.</param>
    /// <param name="key">The gateway's signing key; it never leaves the node.</param>
    /// <param name="policy">The factory's release policy; nothing leaves without one.</param>
    /// <param name="data">The site's local data.</param>
    /// <param name="clock">Clock for signing times.</param>
    public GatewayNode(string id, Ed25519KeyPair key, LoadedPolicy policy, LocalData data, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(policy);
        Id = id;
        this.key = key;
        Policy = policy;
        Data = data;
        Clock = clock;
    }

    /// <summary>Gateway id as enrolled with the aggregator.</summary>
    public string Id { get; }

    /// <summary>Id of the signing key (SHA-256 of the public key).</summary>
    public string KeyId => key.KeyId;

    /// <summary>The Ed25519 public key, for enrolment.</summary>
    public ReadOnlyMemory<byte> PublicKey => key.PublicKey;

    /// <summary>The factory's release policy and the SHA-256 of its file, which every manifest names.</summary>
    public LoadedPolicy Policy { get; }

    /// <summary>The site's local data.</summary>
    public LocalData Data { get; }

    /// <summary>Clock for signing times.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Rounds this gateway has contributed to (or is training for).</summary>
    internal AnnouncementLedger Rounds { get; } = new();

    /// <summary>Model versions this gateway has evaluated (or is evaluating).</summary>
    internal AnnouncementLedger Models { get; } = new();

    /// <summary>Signing time, truncated to milliseconds so manifests stay short and readable.</summary>
    internal DateTimeOffset Now()
    {
        var now = Clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    /// <summary>The next contribution sequence number: 1, 2, 3, … over this node's life.</summary>
    internal long NextSequence() => Interlocked.Increment(ref lastSequence);

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

/// <summary>Data that stays on site: what the gateway trains on and what it evaluates on.</summary>
/// <param name="Training">Local training samples.</param>
/// <param name="Holdout">Local held-out samples for evaluating published models.</param>
public sealed record LocalData(Dataset Training, Dataset Holdout);
