using Federation.Vault.Photos;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Site.Training;

/// <summary>
/// Trains the image model on the vault's inspection photos: each labelled PNG becomes 28 × 28 luminance features
/// (<see cref="PngDecoder"/>, <see cref="PhotoFeatures"/>), scaled as Fashion-MNIST's bytes are. JPEG photos are left
/// out with that reason on record: the built-in trainer decodes PNG only; an external trainer
/// (<c>Gateway:Training:Source = external</c>) can read them.
/// </summary>
/// <param name="vault">The site's vault.</param>
/// <param name="labels">The class names in class-index order; <see cref="DefaultLabels"/> when null.</param>
/// <param name="holdoutFraction">The share of photos held out for evaluation (by content hash).</param>
public sealed class VaultPhotoTrainer(VaultStore vault, IReadOnlyList<string>? labels = null, double holdoutFraction = 0.1)
    : VaultTrainer(vault, VaultKind.Photos, labels ?? DefaultLabels, holdoutFraction)
{
    /// <summary>The source name.</summary>
    public const string Name = "vault-photos";

    /// <summary>Fashion-MNIST's class names as vault labels (spaces become '-'): <c>T-shirt</c>, <c>Trouser</c>, …, <c>Ankle-boot</c>.</summary>
    public static IReadOnlyList<string> DefaultLabels { get; } = [.. FashionMnist.ClassNames.Select(name => name.Replace(' ', '-'))];

    /// <inheritdoc />
    public override string Source => Name;

    /// <inheritdoc />
    protected override int FeatureCount => PhotoFeatures.Count;

    /// <inheritdoc />
    protected override float[]? Features(VaultEntry entry, byte[] content, out string? reason)
    {
        reason = null;
        if (entry.Format != "png")
        {
            reason = $"{entry.Format.ToUpperInvariant()} format (the built-in trainer decodes PNG only; an external trainer can read it)";
            return null;
        }

        try
        {
            return PhotoFeatures.From(PngDecoder.Decode(content));
        }
        catch (PngFormatException error)
        {
            reason = $"an unreadable PNG: {error.Message}";
            return null;
        }
    }
}
