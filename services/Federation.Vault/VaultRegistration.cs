using Microsoft.Extensions.DependencyInjection;

namespace Federation.Vault;

/// <summary>Adds the on-site vault to a gateway host.</summary>
public static class VaultRegistration
{
    /// <summary>Opens the vault in <paramref name="stateDirectory"/> and scans its drop folders for as long as the host runs.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="stateDirectory">The gateway's <c>Gateway:StateDirectory</c>.</param>
    /// <param name="options">The vault's limits.</param>
    public static IServiceCollection AddVault(this IServiceCollection services, string stateDirectory, VaultOptions options) =>
        services.AddVault(VaultStore.Open(stateDirectory, options));

    /// <summary>Adds an open vault and scans its drop folders for as long as the host runs.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="store">The vault, e.g. the one the gateway's trainer reads.</param>
    public static IServiceCollection AddVault(this IServiceCollection services, VaultStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        services.AddSingleton(store);
        services.AddSingleton<VaultImporter>();
        services.AddSingleton<VaultDropFolder>();
        services.AddHostedService<VaultDropFolderService>();
        return services;
    }
}
