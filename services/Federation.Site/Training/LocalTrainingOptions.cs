using System.Globalization;
using System.Text.RegularExpressions;
using Federation.Vault;
using Federation.Vault.PressFit;

namespace Federation.Site.Training;

/// <summary>What the gateway trains on and how, bound from <c>Gateway:Training</c>.</summary>
public sealed partial class LocalTrainingOptions
{
    /// <summary>
    /// The trainer: <c>fashion-mnist-split</c> (default: this site's share of Fashion-MNIST, from <c>Gateway:DataDirectory</c>,
    /// <c>Sites</c>, <c>Site</c>, <c>Alpha</c>, <c>Seed</c>), <c>vault-photos</c>, <c>vault-press-fit</c> or <c>external</c>.
    /// </summary>
    public string Source { get; set; } = DatasetTrainer.FashionMnistSplit;

    /// <summary>
    /// The class names in class-index order: a vault entry labelled <c>Labels[i]</c> (case-insensitively) is class i.
    /// Empty: Fashion-MNIST's class names with '-' for spaces for photos, <c>good</c>, <c>faulty</c> for force curves.
    /// </summary>
    public List<string> Labels { get; set; } = [];

    /// <summary>The share of vault entries held out for evaluation, chosen by content hash; in [0, 1).</summary>
    public double HoldoutFraction { get; set; } = 0.1;

    /// <summary>The force column (newtons) the press-fit trainer reads.</summary>
    public string ForceColumn { get; set; } = PressFitGenerator.ForceColumn;

    /// <summary>The external trainer's program (with <c>Source = external</c>).</summary>
    public string Command { get; set; } = "";

    /// <summary>Arguments given to <see cref="Command"/> before the gateway's own <c>--base-model … --output …</c>.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>The vault kind the external trainer is given: <c>photos</c> (default) or <c>force</c>.</summary>
    public string Kind { get; set; } = "photos";

    /// <summary>How long the external trainer may run before it is killed, in seconds.</summary>
    public double TimeoutSeconds { get; set; } = 600;

    /// <summary>
    /// How the external trainer is confined: <c>bubblewrap</c> (default: no network, only its inputs and own folders,
    /// one writable output folder, limits; refused when it cannot be set up) or <c>none</c> (it runs as the gateway's
    /// user with the network, and every decision record says so).
    /// </summary>
    public string Confinement { get; set; } = Bubblewrap.Name;

    /// <summary>The external trainer's address-space limit, in MiB (under bubblewrap).</summary>
    public long MemoryLimitMegabytes { get; set; } = 4096;

    /// <summary>The confinement these options describe.</summary>
    public TrainerConfinement ToConfinement() => new(Confinement != Unconfined, MemoryLimitMegabytes << 20);

    /// <summary>The <see cref="Confinement"/> value that runs the external trainer unconfined.</summary>
    public const string Unconfined = "none";

    /// <summary>The sources there are.</summary>
    public static IReadOnlyList<string> Sources { get; } = [DatasetTrainer.FashionMnistSplit, VaultPhotoTrainer.Name, VaultPressFitTrainer.Name, ExternalTrainer.Name];

    /// <summary>The external trainer's vault kind.</summary>
    public VaultKind VaultKind => VaultKinds.TryParse(Kind, out var kind) ? kind : VaultKind.Photos;

    /// <summary>The configuration section of the trainer of task <c>default</c> and of every task without its own.</summary>
    public const string Section = "Gateway:Training";

    /// <summary>The configuration section of <paramref name="task"/>'s own trainer.</summary>
    /// <param name="task">The task id.</param>
    public static string SectionOf(string task) => $"Gateway:Tasks:{task}:Training";

    /// <summary>Throws an error naming the setting to fix when the options cannot work.</summary>
    /// <param name="section">Where these options were bound from, e.g. <see cref="Section"/> or <see cref="SectionOf"/>; errors name its keys.</param>
    /// <exception cref="InvalidOperationException">A setting is unknown, missing or out of range.</exception>
    public void Validate(string section = Section)
    {
        if (!Sources.Contains(Source, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"{section}:Source is '{Source}'; use one of {string.Join(", ", Sources)}.");
        }

        if (Labels.Count > 0)
        {
            if (Labels.FirstOrDefault(label => !VaultValidator.IsValidLabel(label)) is { } bad)
            {
                throw new InvalidOperationException($"{section}:Labels has '{bad}', which no vault entry can carry (1 to 64 letters, digits, '_', '.', '-').");
            }

            if (Labels.Count < 2 || Labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Labels.Count)
            {
                throw new InvalidOperationException($"{section}:Labels must list at least two different labels (class 0, class 1, …), or none for the defaults.");
            }
        }

        if (!(HoldoutFraction >= 0 && HoldoutFraction < 1))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{section}:HoldoutFraction is {HoldoutFraction}; it must be at least 0 and below 1."));
        }

        if (!ColumnPattern().IsMatch(ForceColumn))
        {
            throw new InvalidOperationException($"{section}:ForceColumn '{ForceColumn}' is not a force-file column name (letters, digits, '_').");
        }

        if (Source != ExternalTrainer.Name)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(Command))
        {
            throw new InvalidOperationException($"{section}:Command is empty; {section}:Source=external needs the trainer program (docs/PRIVACY.md, External trainers).");
        }

        if (!VaultKinds.TryParse(Kind, out var kind) || kind is not (VaultKind.Photos or VaultKind.Force))
        {
            throw new InvalidOperationException($"{section}:Kind is '{Kind}'; the external trainer is given photos or force entries.");
        }

        if (!(TimeoutSeconds > 0) || !double.IsFinite(TimeoutSeconds))
        {
            throw new InvalidOperationException($"{section}:TimeoutSeconds must be a positive number of seconds.");
        }

        if (Confinement is not (Bubblewrap.Name or Unconfined))
        {
            throw new InvalidOperationException($"{section}:Confinement is '{Confinement}'; use {Bubblewrap.Name} (the default) or {Unconfined}.");
        }

        if (MemoryLimitMegabytes is < 64 or > (1L << 30))
        {
            throw new InvalidOperationException($"{section}:MemoryLimitMegabytes is {MemoryLimitMegabytes}; give the external trainer's address-space limit in MiB, at least 64.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ColumnPattern();
}
