using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Signing;
using Federation.Policies;
using Federation.Vault;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;

namespace Federation.Site.Training;

/// <summary>
/// A factory's own trainer, run as a child process that reads vault data and writes a trained model (the contract is in
/// docs/PRIVACY.md, "External trainers"). The gateway treats it as untrusted: it checks the output strictly (names,
/// shapes, F32, finite), then makes the release differentially private itself — the update is scaled to L2 norm at most
/// C / 2, so adding or removing one vault entry moves it by at most C, and N(0, (z·C)²) is added to every value — and
/// charges the accountant for one full-batch Gaussian release (q = 1, one step) with that z. It also evaluates published
/// models on the held-out entries: a model of a built-in layout with the gateway's own code, any other (a model team's
/// own network) with the program's evaluate mode, whose metrics are checked as strictly (<see cref="ExternalMetrics"/>).
/// </summary>
public sealed class ExternalTrainer : ILocalTrainer
{
    /// <summary>The source name.</summary>
    public const string Name = "external";

    private readonly VaultTrainer? holdout;

    /// <summary>Creates an external trainer.</summary>
    /// <param name="vault">The site's vault.</param>
    /// <param name="kind">The vault kind whose entries the program is given.</param>
    /// <param name="command">The program (<c>Gateway:Training:Command</c>).</param>
    /// <param name="arguments">Arguments before the gateway's own (<c>Gateway:Training:Arguments</c>).</param>
    /// <param name="timeout">How long the program may run before it is killed.</param>
    /// <param name="workDirectory">Where each run's input and output files go (a new folder per run, deleted after).</param>
    /// <param name="holdout">The built-in trainer whose held-out data evaluates published models; null when there is none for the kind.</param>
    /// <param name="confinement">How the program is confined; <see cref="TrainerConfinement.Default"/> when null.</param>
    public ExternalTrainer(
        VaultStore vault, VaultKind kind, string command, IReadOnlyList<string> arguments, TimeSpan timeout, string workDirectory, VaultTrainer? holdout,
        TrainerConfinement? confinement = null)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentException.ThrowIfNullOrWhiteSpace(workDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        Vault = vault;
        Kind = kind;
        Command = command;
        Arguments = arguments;
        Timeout = timeout;
        WorkDirectory = workDirectory;
        this.holdout = holdout;
        Confinement = confinement ?? TrainerConfinement.Default;
    }

    /// <summary>How the program is confined.</summary>
    public TrainerConfinement Confinement { get; }

    /// <summary>The site's vault.</summary>
    public VaultStore Vault { get; }

    /// <summary>The vault kind whose entries the program is given.</summary>
    public VaultKind Kind { get; }

    /// <summary>The program.</summary>
    public string Command { get; }

    /// <summary>Arguments before the gateway's own.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>How long the program may run.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Where each run's files go.</summary>
    public string WorkDirectory { get; }

    /// <summary>The configuration section it was set up from, which its reasons on record name (default <c>Gateway:Training</c>).</summary>
    public string Settings { get; init; } = LocalTrainingOptions.Section;

    /// <inheritdoc />
    public string Source => Name;

    /// <inheritdoc />
    public LocalTrainingRun Prepare(LocalTrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Entries held out to evaluate published models are not trained on, or the site's evaluations would flatter them.
        var program = Program();
        TrainerRule? pin = null;
        if (context.Trainers is { } pinned)
        {
            // Checked before a single entry is read or copied: a trainer the factory did not pin sees no data.
            var hash = TrainerHash.Of(program.ProgramFolders);
            pin = pinned.FirstOrDefault(rule => rule.Sha256 == hash) ?? throw new LocalTrainingException(
                $"{program.Name} is not a trainer the policy pins for this task: its files ({(program.ProgramFolders.Count == 0 ? "none outside /usr" : string.Join(", ", program.ProgramFolders))}) hash to {hash}, and the policy's trainers are {(pinned.Count == 0 ? "none" : string.Join(", ", pinned.Select(rule => $"{rule.Name} {rule.Sha256[..12]}…")))}; not running it");
        }

        var training = Vault.Entries(Kind).Where(entry => !IsHeldOut(entry)).ToList();
        return new ExternalTrainingRun(this, program, context, training, pin);
    }

    /// <inheritdoc />
    public IReadOnlyList<MetricValue> Evaluate(TensorSet model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (holdout is not null && ModelSpec.TryFromParameters(model, out _) is not null)
        {
            return holdout.Evaluate(model); // the gateway's own code, which the factory need not take on trust
        }

        var entries = Vault.Entries(Kind).Where(IsHeldOut).ToList();
        if (entries.Count == 0)
        {
            throw new LocalTrainingException($"no {Kind.ToName()} entries are held out to evaluate on ({Settings}:HoldoutFraction)");
        }

        var program = Program();
        var folder = NewFolder("evaluate");
        try
        {
            var modelFile = Path.Combine(folder.Input, "model.safetensors");
            var data = Path.Combine(folder.Input, "data.json");
            var output = Path.Combine(folder.Output, "metrics.json");
            File.WriteAllBytes(modelFile, SafeTensors.Write(model));
            File.WriteAllBytes(data, DataFile(entries, folder));
            var stderr = program.Run(folder.Input, folder.Output, ["--evaluate", "--model", modelFile, "--data", data, "--output", output]);
            if (!File.Exists(output) || new FileInfo(output).Length > MetricsLimit)
            {
                throw new LocalTrainingException($"{program.Name} --evaluate wrote {(File.Exists(output) ? "more than 64 KiB of metrics" : "no metrics file")}; not reporting it{ExternalProgram.StderrText(stderr)}");
            }

            var conditions = entries.SelectMany(entry => entry.Conditions).CountBy(condition => condition).ToDictionary(StringComparer.Ordinal);
            return ExternalMetrics.Read(File.ReadAllBytes(output), entries.Count, Labels.Count, out var problem, conditions)
                ?? throw new LocalTrainingException($"{program.Name} --evaluate {problem}; not reporting it{ExternalProgram.StderrText(stderr)}");
        }
        finally
        {
            Directory.Delete(folder.Root, recursive: true);
        }
    }

    /// <summary>The most bytes of metrics the evaluate mode may write.</summary>
    public const int MetricsLimit = 65536;

    /// <summary>The class names in class-index order, given to the program as <c>classes</c>.</summary>
    private IReadOnlyList<string> Labels => holdout?.Labels ?? [];

    private bool IsHeldOut(VaultEntry entry) => holdout is not null && VaultHoldout.IsHeldOut(entry.Sha256, holdout.HoldoutFraction);

    internal ExternalProgram Program() => new(Command, Arguments, Timeout, Settings, Confinement);

    internal RunFolder NewFolder(string purpose) => RunFolder.Create(WorkDirectory, purpose);

    /// <summary>
    /// The <c>--data</c> file: the class names, for force curves the column the site's force is in (its
    /// <c>ForceColumn</c> setting), and the entries the program may read, each copied into the run's input folder,
    /// which is all of the vault a confined program sees.
    /// </summary>
    internal byte[] DataFile(IReadOnlyList<VaultEntry> entries, RunFolder folder) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        kind = Kind.ToName(),
        classes = Labels,
        forceColumn = (holdout as VaultPressFitTrainer)?.ForceColumn,
        entries = entries.Select(entry => new
        {
            sha256 = entry.Sha256,
            path = folder.Entry(Vault.ObjectPath(entry.Sha256), entry.Sha256),
            format = entry.Format,
            label = entry.Label,
            sampleRateHz = entry.SampleRateHz,
            records = entry.Records,
            conditions = entry.Conditions,
        }),
    });
}
