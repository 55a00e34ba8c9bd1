using Federation.Vault.Datasets;
using Federation.Vault;

namespace Federation.Site.Training;

/// <summary>Builds the trainer <c>Gateway:Training:Source</c> names.</summary>
public static class LocalTrainers
{
    /// <summary>The trainer for a gateway process's options.</summary>
    /// <param name="options">The validated gateway options.</param>
    /// <param name="vault">The gateway's vault.</param>
    /// <returns>The trainer.</returns>
    public static ILocalTrainer Create(GatewayOptions options, VaultStore vault)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vault);
        var training = options.Training;
        IReadOnlyList<string>? labels = training.Labels.Count > 0 ? training.Labels : null;
        VaultPhotoTrainer Photos() => new(vault, labels, training.HoldoutFraction);
        VaultPressFitTrainer PressFit() => new(vault, labels, training.ForceColumn, training.HoldoutFraction);
        return training.Source switch
        {
            VaultPhotoTrainer.Name => Photos(),
            VaultPressFitTrainer.Name => PressFit(),
            ExternalTrainer.Name => new ExternalTrainer(
                vault, training.VaultKind, training.Command, training.Arguments, TimeSpan.FromSeconds(training.TimeoutSeconds),
                Path.Combine(options.StateDirectory, "training"), training.VaultKind == VaultKind.Force ? PressFit() : Photos()),
            _ => new DatasetTrainer(SiteSplit.Split(FashionMnist.LoadTraining(options.DataDirectory), options.Sites, options.Alpha, options.Seed)[options.Site]),
        };
    }
}
