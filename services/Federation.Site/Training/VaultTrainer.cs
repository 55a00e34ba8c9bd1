using System.Globalization;
using Federation.Contracts.Signing;
using Federation.Vault;
using Federation.Learning.Data;
using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Site.Training;

/// <summary>
/// Trains with DP-SGD on one kind of vault data: every labelled entry of that kind whose label is in the label list
/// becomes one sample (class index = the label's position in the list), read from its object file and turned into the
/// model's features by <see cref="Features"/>. Entries it cannot use are left out and counted in the decision record,
/// with their reason and the first few SHA-256 prefixes (so <c>fedctl vault ls</c> finds them), never their content.
/// </summary>
/// <remarks>
/// The holdout is decided by content, so it never changes as the vault grows or shrinks: an entry is held out for
/// evaluation when the first 8 hex digits of its SHA-256, read as a number, divided by 2³² are below the holdout
/// fraction (<see cref="VaultHoldout.IsHeldOut"/>).
/// </remarks>
public abstract class VaultTrainer : ILocalTrainer
{
    /// <summary>Creates a trainer over <paramref name="vault"/>'s entries of <paramref name="kind"/>.</summary>
    /// <param name="vault">The site's vault.</param>
    /// <param name="kind">The kind it trains on.</param>
    /// <param name="labels">The class names, in class-index order.</param>
    /// <param name="holdoutFraction">The share of entries held out for evaluation, in [0, 1).</param>
    protected VaultTrainer(VaultStore vault, VaultKind kind, IReadOnlyList<string> labels, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count < 2 || labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labels.Count)
        {
            throw new ArgumentException("at least two labels are needed, distinct ignoring case (entries' labels are matched ignoring case)", nameof(labels));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(holdoutFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(holdoutFraction, 1);
        Vault = vault;
        Kind = kind;
        Labels = labels;
        HoldoutFraction = holdoutFraction;
    }

    /// <summary>The site's vault.</summary>
    public VaultStore Vault { get; }

    /// <summary>The kind of vault data it trains on.</summary>
    public VaultKind Kind { get; }

    /// <summary>The class names, in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The share of entries held out for evaluation.</summary>
    public double HoldoutFraction { get; }

    /// <summary>The configuration section it was set up from, which its reasons on record name (default <c>Gateway:Training</c>).</summary>
    public string Settings { get; init; } = LocalTrainingOptions.Section;

    /// <inheritdoc />
    public abstract string Source { get; }

    /// <summary>The number of features one entry becomes; the model must take exactly this many inputs.</summary>
    protected abstract int FeatureCount { get; }

    /// <inheritdoc />
    public LocalTrainingRun Prepare(LocalTrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = BuiltInModel.SpecOf(context.BaseModel, Source);
        var read = Read(spec);
        return new DpSgdRun(read.Training, context, read.Summary, spec);
    }

    /// <inheritdoc />
    public IReadOnlyList<MetricValue> Evaluate(TensorSet model)
    {
        var spec = BuiltInModel.SpecOf(model, Source);
        var read = Read(spec, heldOutOnly: true);
        return HoldoutMetrics.Of(spec, model, read.Holdout, read.HoldoutConditions);
    }

    /// <summary>Reads the vault into training and held-out samples for <paramref name="spec"/>.</summary>
    /// <param name="spec">The model's architecture.</param>
    /// <param name="heldOutOnly">
    /// Read only the held-out entries (to evaluate a published model): the holdout is decided by content hash, so the
    /// training entries' files need not be read at all.
    /// </param>
    /// <returns>The samples and a summary of what was read and left out.</returns>
    /// <exception cref="LocalTrainingException">The model's inputs or classes do not fit this data.</exception>
    public VaultTrainingData Read(ModelSpec spec, bool heldOutOnly = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Inputs != FeatureCount)
        {
            throw new LocalTrainingException($"the announced model takes {spec.Inputs} inputs; {Source} makes {FeatureCount} features per sample");
        }

        if (Labels.Count > spec.Classes)
        {
            throw new LocalTrainingException($"{Settings}:Labels lists {Labels.Count} labels but the announced model has {spec.Classes} classes");
        }

        var training = new Samples(FeatureCount);
        var holdout = new Samples(FeatureCount);
        var holdoutConditions = new List<IReadOnlyList<string>>();
        var skipped = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var trainedFormats = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void Skip(VaultEntry entry, string reason)
        {
            if (!skipped.TryGetValue(reason, out var list))
            {
                skipped[reason] = list = [];
            }

            list.Add(entry.Sha256[..12]);
        }

        foreach (var entry in Vault.Entries(Kind))
        {
            bool heldOut = VaultHoldout.IsHeldOut(entry.Sha256, HoldoutFraction);
            if (heldOutOnly && !heldOut)
            {
                continue;
            }

            int label = entry.Label is null ? -1 : IndexOf(entry.Label);
            if (label < 0)
            {
                Skip(entry, entry.Label is null ? "no label" : $"a label not in {Settings}:Labels");
                continue;
            }

            byte[] content;
            try
            {
                content = File.ReadAllBytes(Vault.ObjectPath(entry.Sha256));
            }
            catch (IOException)
            {
                // Retention may delete an object between listing and reading; it is simply no longer there.
                Skip(entry, "its object file is gone (deleted by retention?)");
                continue;
            }

            if (Features(entry, content, out var reason) is not { } features)
            {
                Skip(entry, reason!);
                continue;
            }

            (heldOut ? holdout : training).Add(features, (byte)label);
            if (heldOut)
            {
                holdoutConditions.Add(entry.Conditions);
            }
            else
            {
                trainedFormats[entry.Format] = trainedFormats.GetValueOrDefault(entry.Format) + 1;
            }
        }

        var summary = string.Create(CultureInfo.InvariantCulture, $"{training.Count} vault entries of kind {Kind.ToName()} for training, {holdout.Count} held out");
        if (trainedFormats.Count > 0)
        {
            // Which formats were trained on, e.g. "for training 57 PNG, 3 JPEG": photos of both formats count alike.
            summary += "; for training " + string.Join(", ", trainedFormats.Select(pair =>
                string.Create(CultureInfo.InvariantCulture, $"{pair.Value} {pair.Key.ToUpperInvariant()}")));
        }

        if (skipped.Count > 0)
        {
            summary += "; left out " + string.Join("; ", skipped.Select(pair =>
                string.Create(CultureInfo.InvariantCulture, $"{pair.Value.Count} with {pair.Key} (e.g. {string.Join(", ", pair.Value.Take(3))})")));
        }

        return new VaultTrainingData(training.ToDataset(spec.Classes), holdout.ToDataset(spec.Classes), summary) { HoldoutConditions = holdoutConditions };
    }

    /// <summary>Turns one entry's bytes into features, or says why it cannot be used.</summary>
    /// <param name="entry">The index entry.</param>
    /// <param name="content">Its object's bytes (validated at import).</param>
    /// <param name="reason">Why it is left out, phrased to follow "with", e.g. "JPEG format (…)".</param>
    /// <returns><see cref="FeatureCount"/> features, or null.</returns>
    protected abstract float[]? Features(VaultEntry entry, byte[] content, out string? reason);

    private int IndexOf(string label)
    {
        for (int index = 0; index < Labels.Count; index++)
        {
            if (string.Equals(Labels[index], label, StringComparison.OrdinalIgnoreCase))
            {
                return index;
            }
        }

        return -1;
    }

    private sealed class Samples(int featureCount)
    {
        private readonly List<float> features = [];
        private readonly List<byte> labels = [];

        public int Count => labels.Count;

        public void Add(float[] sample, byte label)
        {
            features.AddRange(sample);
            labels.Add(label);
        }

        public Dataset ToDataset(int classes) => new([.. features], [.. labels], featureCount, classes);
    }
}

/// <summary>What a vault trainer read.</summary>
/// <param name="Training">The training samples.</param>
/// <param name="Holdout">The held-out samples.</param>
/// <param name="Summary">Counts and what was left out, for the decision record.</param>
public sealed record VaultTrainingData(Dataset Training, Dataset Holdout, string Summary)
{
    /// <summary>Each held-out sample's conditions (<see cref="VaultEntry.Conditions"/>), in sample order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> HoldoutConditions { get; init; } = [];
}

/// <summary>The vault's content-based holdout rule.</summary>
public static class VaultHoldout
{
    /// <summary>
    /// Whether the entry with <paramref name="sha256"/> is held out: its first 8 hex digits as an unsigned number,
    /// divided by 2³², are below <paramref name="fraction"/>.
    /// </summary>
    /// <param name="sha256">The entry's lowercase hex SHA-256.</param>
    /// <param name="fraction">The share held out, in [0, 1).</param>
    public static bool IsHeldOut(string sha256, double fraction)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return uint.Parse(sha256.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) / 4294967296.0 < fraction;
    }
}
