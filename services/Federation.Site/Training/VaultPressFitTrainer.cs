using Federation.Vault.PressFit;
using Federation.Vault;

namespace Federation.Site.Training;

/// <summary>
/// Trains the press-fit model on the vault's force curves: each labelled curve becomes <see cref="PressFitFeatures.Count"/>
/// features (its force column resampled over time, in units of 20 kN), classes <c>good</c> = 0 and <c>faulty</c> = 1 by default.
/// The model to announce for it is <see cref="PressFitModel.Spec"/>-shaped: 64 inputs, 2 classes.
/// </summary>
/// <param name="vault">The site's vault.</param>
/// <param name="labels">The class names in class-index order; <c>good</c>, <c>faulty</c> when null.</param>
/// <param name="forceColumn">The force column's header name, in newtons.</param>
/// <param name="holdoutFraction">The share of curves held out for evaluation (by content hash).</param>
public sealed class VaultPressFitTrainer(VaultStore vault, IReadOnlyList<string>? labels = null, string forceColumn = PressFitGenerator.ForceColumn, double holdoutFraction = 0.1)
    : VaultTrainer(vault, VaultKind.Force, labels ?? DefaultLabels, holdoutFraction)
{
    /// <summary>The source name.</summary>
    public const string Name = "vault-press-fit";

    /// <summary><c>good</c>, <c>faulty</c>.</summary>
    public static IReadOnlyList<string> DefaultLabels { get; } = [PressFitGenerator.GoodLabel, PressFitGenerator.FaultyLabel];

    /// <summary>The force column's header name.</summary>
    public string ForceColumn { get; } = forceColumn;

    /// <inheritdoc />
    public override string Source => Name;

    /// <inheritdoc />
    protected override int FeatureCount => PressFitFeatures.Count;

    /// <inheritdoc />
    protected override float[]? Features(VaultEntry entry, byte[] content, out string? reason)
    {
        var features = PressFitFeatures.FromCsv(content, ForceColumn, out reason);
        if (features is null && reason is not null && reason.StartsWith("no column ", StringComparison.Ordinal))
        {
            reason = $"{reason} ({Settings}:ForceColumn)";
        }

        return features;
    }
}
