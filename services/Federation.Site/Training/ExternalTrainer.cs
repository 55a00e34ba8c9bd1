using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Signing;
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
        var training = Vault.Entries(Kind).Where(entry => !IsHeldOut(entry)).ToList();
        return new Run(this, context, training);
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

            return ExternalMetrics.Read(File.ReadAllBytes(output), entries.Count, Labels.Count, out var problem)
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

    private ExternalProgram Program() => new(Command, Arguments, Timeout, Settings, Confinement);

    private RunFolder NewFolder(string purpose) => RunFolder.Create(WorkDirectory, purpose);

    /// <summary>
    /// The <c>--data</c> file: the class names and the entries the program may read, each linked into the run's input
    /// folder, which is all of the vault a confined program sees.
    /// </summary>
    private byte[] DataFile(IReadOnlyList<VaultEntry> entries, RunFolder folder) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        kind = Kind.ToName(),
        classes = Labels,
        entries = entries.Select(entry => new
        {
            sha256 = entry.Sha256,
            path = folder.Entry(Vault.ObjectPath(entry.Sha256), entry.Sha256),
            format = entry.Format,
            label = entry.Label,
            sampleRateHz = entry.SampleRateHz,
            records = entry.Records,
        }),
    });

    private sealed class Run(ExternalTrainer trainer, LocalTrainingContext context, IReadOnlyList<VaultEntry> entries) : LocalTrainingRun
    {
        private readonly ExternalProgram program = trainer.Program();

        // One full-batch release: every entry is "sampled" (q = 1), one step; the update is clipped to C / 2 so its
        // sensitivity under adding or removing one entry is C, and the noise is z·C.
        public override PrivacyCharge Charge { get; } = new(entries.Count, Math.Max(1, entries.Count), 1, context.ClippingNorm, context.NoiseMultiplier);

        public override string Summary => string.Create(CultureInfo.InvariantCulture,
            $"{program.Name} given {entries.Count} vault entries of kind {trainer.Kind.ToName()}, {program.Confinement}; its update is clipped to L2 norm {context.ClippingNorm / 2:G6} and gets Gaussian noise σ = {context.NoiseMultiplier * context.ClippingNorm:G6} per value from the gateway")
            + ExternalProgram.StderrText(Stderr);

        private string Stderr { get; set; } = "";

        public override TensorSet Train()
        {
            var folder = trainer.NewFolder($"round-{context.Round}");
            try
            {
                var trained = RunProgram(folder);
                var update = trained.Subtract(context.BaseModel);
                var clipped = L2Clipping.Clip(update, context.ClippingNorm / 2).Clipped;
                using var random = new CounterModeRandom(context.NoiseSeed.Span);
                return GaussianNoise.Add(clipped, context.NoiseMultiplier * context.ClippingNorm, random);
            }
            finally
            {
                Directory.Delete(folder.Root, recursive: true);
            }
        }

        private TensorSet RunProgram(RunFolder folder)
        {
            var baseModel = Path.Combine(folder.Input, "base-model.safetensors");
            var data = Path.Combine(folder.Input, "data.json");
            var plan = Path.Combine(folder.Input, "plan.json");
            var output = Path.Combine(folder.Output, "trained-model.safetensors");
            File.WriteAllBytes(baseModel, SafeTensors.Write(context.BaseModel));
            File.WriteAllBytes(data, trainer.DataFile(entries, folder));
            File.WriteAllBytes(plan, JsonSerializer.SerializeToUtf8Bytes(new
            {
                round = context.Round,
                epochs = context.Plan.Epochs,
                batchSize = context.Plan.BatchSize,
                learningRate = context.Plan.LearningRate,
                seed = context.Plan.Seed,
                proximalMu = context.Plan.ProximalMu,
                updateClippingNorm = context.ClippingNorm / 2,
            }));

            Stderr = program.Run(folder.Input, folder.Output, ["--base-model", baseModel, "--data", data, "--plan", plan, "--output", output]);
            return ReadOutput(output);
        }
        /// <summary>The trained model, only if it has exactly the base model's tensors, shapes and dtype F32, all finite.</summary>
        private TensorSet ReadOutput(string output)
        {
            if (!File.Exists(output))
            {
                throw Refused("wrote no output file");
            }

            long limit = (2 * SafeTensors.Write(context.BaseModel).LongLength) + 65536;
            if (new FileInfo(output).Length > limit)
            {
                throw Refused($"wrote {new FileInfo(output).Length} bytes, far more than a model of this layout ({limit} at most)");
            }

            var bytes = File.ReadAllBytes(output);
            TensorSet trained;
            try
            {
                if (SafeTensors.ReadDTypes(bytes).FirstOrDefault(pair => pair.Value != "F32") is { Key: not null } other)
                {
                    throw Refused($"wrote tensor '{other.Key}' as {other.Value}; the base model's dtype F32 is required");
                }

                trained = SafeTensors.Read(bytes);
            }
            catch (SafeTensorsFormatException error)
            {
                throw Refused($"wrote an invalid safetensors file: {error.Message}");
            }

            if (trained.DescribeLayoutDifference(context.BaseModel) is { } difference)
            {
                throw Refused($"wrote a model that differs from the base model: {difference}");
            }

            if (trained.FindNonFinite() is { } nonFinite)
            {
                throw Refused($"wrote non-finite values: {nonFinite}");
            }

            return trained;
        }

        private LocalTrainingException Refused(string what) => new($"{program.Name} {what}; not using it{ExternalProgram.StderrText(Stderr)}");
    }
}
