using Federation.Vault.Photos;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Site.Training;

/// <summary>
/// Trains the image model on the vault's inspection photos: each labelled PNG or JPEG becomes 28 × 28 luminance
/// features (<see cref="PhotoDecoder"/>, <see cref="PhotoFeatures"/>), scaled as Fashion-MNIST's bytes are. The vault
/// validated every photo with the same decoder and limits at import, so a photo is left out here only when that
/// changed since (its reason goes on record).
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
        try
        {
            return PhotoFeatures.From(PhotoDecoder.Decode(content));
        }
        catch (PhotoFormatException error)
        {
            reason = $"an unreadable photo: {error.Message}";
            return null;
        }
    }
}
