using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Site.Training;

/// <summary>Builds the trainer <c>Gateway:Training:Source</c> names.</summary>
public static class LocalTrainers
{
    /// <summary>The trainer that <paramref name="training"/> names.</summary>
    /// <param name="training">The validated training options (<c>Gateway:Training</c>).</param>
    /// <param name="vault">The gateway's vault.</param>
    /// <param name="stateDirectory">The gateway's state directory; the external trainer works in its <c>training</c> folder.</param>
    /// <param name="siteShare">
    /// This site's share of Fashion-MNIST, for the <c>fashion-mnist-split</c> source; called only when that source is chosen,
    /// so the other sources never read the data set.
    /// </param>
    /// <returns>The trainer.</returns>
    public static ILocalTrainer Create(LocalTrainingOptions training, VaultStore vault, string stateDirectory, Func<LocalData> siteShare)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentNullException.ThrowIfNull(siteShare);
        IReadOnlyList<string>? labels = training.Labels.Count > 0 ? training.Labels : null;
        VaultPhotoTrainer Photos() => new(vault, labels, training.HoldoutFraction);
        VaultPressFitTrainer PressFit() => new(vault, labels, training.ForceColumn, training.HoldoutFraction);
        return training.Source switch
        {
            VaultPhotoTrainer.Name => Photos(),
            VaultPressFitTrainer.Name => PressFit(),
            ExternalTrainer.Name => new ExternalTrainer(
                vault, training.VaultKind, training.Command, training.Arguments, TimeSpan.FromSeconds(training.TimeoutSeconds),
                Path.Combine(stateDirectory, "training"), training.VaultKind == VaultKind.Force ? PressFit() : Photos()),
            _ => new DatasetTrainer(siteShare()),
        };
    }
}
