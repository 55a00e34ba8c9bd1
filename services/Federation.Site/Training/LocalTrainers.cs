using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.Site.Training;

/// <summary>Builds the trainer <c>Gateway:Training:Source</c> (or a task's <c>Gateway:Tasks:&lt;task&gt;:Training:Source</c>) names.</summary>
public static class LocalTrainers
{
    /// <summary>The trainer that <paramref name="training"/> names.</summary>
    /// <param name="training">The validated training options (<c>Gateway:Training</c> or a task's own).</param>
    /// <param name="vault">The gateway's vault.</param>
    /// <param name="stateDirectory">The gateway's state directory; the external trainer works in its <c>training</c> folder.</param>
    /// <param name="siteShare">
    /// This site's share of Fashion-MNIST, for the <c>fashion-mnist-split</c> source; called only when that source is chosen,
    /// so the other sources never read the data set.
    /// </param>
    /// <param name="section">Where <paramref name="training"/> was bound from; the trainer's reasons on record name its keys.</param>
    /// <returns>The trainer.</returns>
    public static ILocalTrainer Create(LocalTrainingOptions training, VaultStore vault, string stateDirectory, Func<LocalData> siteShare, string section = LocalTrainingOptions.Section)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentNullException.ThrowIfNull(siteShare);
        IReadOnlyList<string>? labels = training.Labels.Count > 0 ? training.Labels : null;
        VaultPhotoTrainer Photos() => new(vault, labels, training.HoldoutFraction) { Settings = section };
        VaultPressFitTrainer PressFit() => new(vault, labels, training.ForceColumn, training.HoldoutFraction) { Settings = section };
        return training.Source switch
        {
            VaultPhotoTrainer.Name => Photos(),
            VaultPressFitTrainer.Name => PressFit(),
            ExternalTrainer.Name => new ExternalTrainer(
                vault, training.VaultKind, training.Command, training.Arguments, TimeSpan.FromSeconds(training.TimeoutSeconds),
                Path.Combine(stateDirectory, "training"), training.VaultKind == VaultKind.Force ? PressFit() : Photos(), training.ToConfinement()) { Settings = section },
            _ => new DatasetTrainer(siteShare()),
        };
    }
}
