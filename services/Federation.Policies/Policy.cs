using System.Collections.Immutable;
using Federation.Contracts.Tasks;

namespace Federation.Policies;

/// <summary>
/// What a factory lets leave its site, as loaded from a policy file by <see cref="PolicyLoader"/>: which kinds of
/// message, for which tasks, to which aggregator keys, until when, and under which rules. Immutable.
/// </summary>
/// <remarks>
/// The shape mirrors the YAML file (see <c>policies/example.yaml</c>). The top-level rules are those of task
/// <see cref="TaskIds.Default"/>, so a file written before tasks existed means what it meant; each entry under
/// <c>tasks</c> has rules of its own (<see cref="TaskRules"/>). Expiry and aggregator keys apply to every task.
/// </remarks>
public sealed class Policy
{
    internal Policy(
        string id,
        string? name,
        int version,
        DateTimeOffset expires,
        ImmutableArray<string> aggregatorKeyIds,
        TaskRules defaultRules,
        ImmutableSortedDictionary<string, TaskRules> namedTasks)
    {
        Id = id;
        Name = name;
        Version = version;
        Expires = expires;
        AggregatorKeyIds = aggregatorKeyIds;
        DefaultRules = defaultRules;
        Tasks = namedTasks.SetItem(TaskIds.Default, defaultRules);
    }

    /// <summary>The policy's identifier (<c>id</c>), e.g. <c>factory-1-release</c>.</summary>
    public string Id { get; }

    /// <summary>A human-readable name (<c>name</c>), or null.</summary>
    public string? Name { get; }

    /// <summary>The policy version (<c>version</c>), a positive integer the factory raises on every change.</summary>
    public int Version { get; }

    /// <summary>The instant from which the policy allows nothing (<c>expires</c>), for every task.</summary>
    public DateTimeOffset Expires { get; }

    /// <summary>
    /// The aggregator keys that may receive anything (<c>aggregatorKeys</c>), for every task: Ed25519 key ids, each the
    /// lowercase hex SHA-256 of the 32-byte public key.
    /// </summary>
    public ImmutableArray<string> AggregatorKeyIds { get; }

    /// <summary>The top-level rules, which are the rules of task <see cref="TaskIds.Default"/>.</summary>
    public TaskRules DefaultRules { get; }

    /// <summary>
    /// Every task the policy takes part in, by id, in ordinal order: <see cref="TaskIds.Default"/> (the top-level rules)
    /// and each task named under <c>tasks</c>. A task not in here is one the gateway refuses.
    /// </summary>
    public ImmutableSortedDictionary<string, TaskRules> Tasks { get; }

    /// <summary>The kinds of message that may leave for task default (<c>allow</c>), without duplicates, in enum order.</summary>
    public ImmutableArray<ReleaseKind> AllowedKinds => DefaultRules.AllowedKinds;

    /// <summary>The fewest local training samples behind one model update of task default (<c>minimumSamples</c>).</summary>
    public long? MinimumSamples => DefaultRules.MinimumSamples;

    /// <summary>The tensors a model update of task default must consist of (<c>tensors</c>).</summary>
    public ImmutableArray<TensorRule> Tensors => DefaultRules.Tensors;

    /// <summary>The L2 bound on a model update of task default (<c>clipping</c>).</summary>
    public ClippingRule? Clipping => DefaultRules.Clipping;

    /// <summary>DP-SGD limits and budget of task default (<c>privacy</c>).</summary>
    public PrivacyRule? Privacy => DefaultRules.Privacy;

    /// <summary>The metrics task default may report (<c>metrics</c>).</summary>
    public ImmutableArray<MetricRule> Metrics => DefaultRules.Metrics;

    /// <summary>Whether <paramref name="kind"/> is listed under the top-level <c>allow</c> (task default).</summary>
    /// <param name="kind">The kind of message.</param>
    /// <returns>True when it may leave (subject to the other rules).</returns>
    public bool Allows(ReleaseKind kind) => DefaultRules.Allows(kind);

    /// <summary>The rules of <paramref name="task"/>, or null when the policy does not take part in it.</summary>
    /// <param name="task">A task id.</param>
    /// <returns>The task's rules; null for a task the policy does not name.</returns>
    public TaskRules? RulesFor(string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Tasks.GetValueOrDefault(task);
    }

    /// <summary>Whether the policy has expired at <paramref name="now"/> (from <see cref="Expires"/> on).</summary>
    /// <param name="now">The current time, passed in by the caller.</param>
    /// <returns>True when nothing may leave any more.</returns>
    public bool IsExpiredAt(DateTimeOffset now) => now >= Expires;
}

/// <summary>
/// What may leave for one task: the top-level rules of a policy file (task <see cref="TaskIds.Default"/>) or one entry
/// under <c>tasks</c>. Immutable.
/// </summary>
/// <remarks>
/// The loader guarantees that whenever <see cref="ReleaseKind.ModelUpdate"/> is allowed, <see cref="MinimumSamples"/>,
/// <see cref="Clipping"/> and <see cref="Privacy"/> are set and <see cref="Tensors"/> is not empty, and that whenever
/// <see cref="ReleaseKind.EvaluationMetrics"/> is allowed, <see cref="Metrics"/> is not empty.
/// </remarks>
public sealed class TaskRules
{
    internal TaskRules(
        ImmutableArray<ReleaseKind> allowedKinds,
        long? minimumSamples,
        ImmutableArray<TensorRule> tensors,
        ClippingRule? clipping,
        PrivacyRule? privacy,
        ImmutableArray<MetricRule> metrics)
    {
        AllowedKinds = allowedKinds;
        MinimumSamples = minimumSamples;
        Tensors = tensors;
        Clipping = clipping;
        Privacy = privacy;
        Metrics = metrics;
    }

    /// <summary>The kinds of message that may leave (<c>allow</c>), without duplicates, in enum order.</summary>
    public ImmutableArray<ReleaseKind> AllowedKinds { get; }

    /// <summary>The fewest local training samples behind one model update (<c>minimumSamples</c>).</summary>
    public long? MinimumSamples { get; }

    /// <summary>The tensors a model update must consist of, exactly, in ordinal name order (<c>tensors</c>).</summary>
    public ImmutableArray<TensorRule> Tensors { get; }

    /// <summary>The L2 bound the whole model update is scaled down to before it leaves (<c>clipping</c>).</summary>
    public ClippingRule? Clipping { get; }

    /// <summary>What DP-SGD training must at least have done, and this task's own privacy budget (<c>privacy</c>).</summary>
    public PrivacyRule? Privacy { get; }

    /// <summary>The aggregate metrics that may be reported, in ordinal name order (<c>metrics</c>).</summary>
    public ImmutableArray<MetricRule> Metrics { get; }

    /// <summary>
    /// The external trainers the factory pinned for this task (<c>trainers</c>: name → SHA-256 of the trainer's files),
    /// in ordinal name order; null when the rules name none. When set, an external trainer whose hash is not listed is
    /// refused before it sees any data, and a listed one is trusted to run DP-SGD as it reports; when null, any external
    /// trainer may run, untrusted, and the gateway makes its update private itself (docs/PRIVACY.md, section 6).
    /// </summary>
    public ImmutableArray<TrainerRule>? Trainers { get; init; }

    /// <summary>The pinned trainer with hash <paramref name="sha256"/>, or null.</summary>
    /// <param name="sha256">A trainer hash.</param>
    public TrainerRule? PinnedTrainer(string sha256) => Trainers?.FirstOrDefault(trainer => trainer.Sha256 == sha256);

    /// <summary>Whether <paramref name="kind"/> is listed under <c>allow</c>.</summary>
    /// <param name="kind">The kind of message.</param>
    /// <returns>True when it may leave (subject to the other rules).</returns>
    public bool Allows(ReleaseKind kind) => AllowedKinds.Contains(kind);
}

/// <summary>An external trainer the factory pinned: a name for people and the SHA-256 of its files.</summary>
/// <param name="Name">The name it is listed under, e.g. <c>photo-cnn</c>.</param>
/// <param name="Sha256">The trainer hash (docs/FORMATS.md, "Trainer hash"), 64 lowercase hex digits.</param>
public sealed record TrainerRule(string Name, string Sha256);

/// <summary>One allowlisted tensor and the shape it must have.</summary>
/// <param name="Name">The tensor name, e.g. <c>linear.weight</c>.</param>
/// <param name="Shape">The dimensions, outermost first, e.g. [10, 784]; empty for a scalar.</param>
public sealed record TensorRule(string Name, ImmutableArray<int> Shape);

/// <summary>L2 clipping of a whole model update, after training (<c>clipping</c>).</summary>
/// <param name="MaxUpdateL2Norm">
/// The bound on the flat L2 norm, over all tensors, of the update that leaves (<c>maxUpdateL2Norm</c>). It limits how
/// far one site can pull the aggregate; applied to the output of DP-SGD it is post-processing and costs no privacy.
/// </param>
public sealed record ClippingRule(double MaxUpdateL2Norm);

/// <summary>Differential privacy for model updates: the least DP-SGD the local trainer must have done (<c>privacy</c>).</summary>
/// <param name="MaxExampleL2Norm">
/// The largest per-example gradient clipping norm C the trainer may have used (<c>maxExampleL2Norm</c>). ε does not
/// depend on C (only on z); the bound keeps the scale of each example's contribution, and of the noise, known.
/// </param>
/// <param name="MinNoiseMultiplier">
/// The smallest noise multiplier z the trainer may have used (<c>minNoiseMultiplier</c>): each step's clipped gradient
/// sum got N(0, (z·C)²) noise on every coordinate.
/// </param>
/// <param name="Budget">The (ε, δ) budget per sliding window.</param>
public sealed record PrivacyRule(double MaxExampleL2Norm, double MinNoiseMultiplier, PrivacyBudget Budget);

/// <summary>A privacy budget: everything released in any window of length <paramref name="Window"/> is (ε, δ)-DP.</summary>
/// <param name="Epsilon">ε, positive.</param>
/// <param name="Delta">δ, in (0, 1).</param>
/// <param name="Window">The sliding window, e.g. 30 days.</param>
public sealed record PrivacyBudget(double Epsilon, double Delta, TimeSpan Window);

/// <summary>An allowlisted aggregate metric.</summary>
/// <param name="Name">The metric name, e.g. <c>accuracy</c>.</param>
/// <param name="MinimumSamples">The fewest samples the reported value may be computed over.</param>
public sealed record MetricRule(string Name, long MinimumSamples);
