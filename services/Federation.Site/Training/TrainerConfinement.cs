using System.Globalization;

namespace Federation.Site.Training;

/// <summary>How an external trainer is confined (<c>Confinement</c>, <c>MemoryLimitMegabytes</c> of its training section).</summary>
/// <param name="Confined">Run it under bubblewrap (<see cref="Bubblewrap"/>); false only when the factory set <c>Confinement=none</c>.</param>
/// <param name="MemoryBytes">Its address-space limit.</param>
/// <param name="BubblewrapPath">Where bwrap is.</param>
public sealed record TrainerConfinement(bool Confined, long MemoryBytes, string BubblewrapPath = Bubblewrap.DefaultPath)
{
    /// <summary>The default: confined, 4 GiB of address space.</summary>
    public static TrainerConfinement Default { get; } = new(true, 4096L << 20);

    /// <summary>What the decision record says about it.</summary>
    public string Describe(string settings) => Confined
        ? string.Create(CultureInfo.InvariantCulture, $"confined by bubblewrap (no network, only its inputs, its own folders and its output folder, {MemoryBytes >> 20} MiB)")
        : $"NOT confined ({settings}:Confinement=none): it ran as the gateway's user, with the network";
}
