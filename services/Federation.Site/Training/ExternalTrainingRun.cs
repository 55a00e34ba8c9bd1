using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Signing;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using Federation.Policies;
using Federation.Vault;

namespace Federation.Site.Training;

/// <summary>
/// One training run of an external trainer. An untrusted trainer (the policy pins none) is given the plan and its
/// output is made private by the gateway: the update is clipped to C / 2 and gets N(0, (z·C)²) per value, charged as one
/// full-batch release. A trainer the policy pins is given the DP-SGD parameters too (Poisson rate q = B / N, T steps,
/// clipping C, noise z), is trusted to run DP-SGD with them, and its report must say it did; its update leaves as it
/// is (after the checks every update passes), charged as those T steps.
/// </summary>
internal sealed class ExternalTrainingRun(ExternalTrainer trainer, ExternalProgram program, LocalTrainingContext context, IReadOnlyList<VaultEntry> entries, TrainerRule? pin)
    : LocalTrainingRun
{
    /// <inheritdoc />
    public override PrivacyCharge Charge => pin is null
        // One full-batch release: every entry is "sampled" (q = 1), one step; the update is clipped to C / 2 so its
        // sensitivity under adding or removing one entry is C, and the noise is z·C.
        ? new(entries.Count, Math.Max(1, entries.Count), 1, context.ClippingNorm, context.NoiseMultiplier, ReleasePrivacy.WholeUpdateGaussian)
        // DP-SGD as planned: T steps of Poisson sampling at q = B / N, as the gateway's own trainers are charged.
        : new(entries.Count, context.Plan.BatchSize, Steps, context.ClippingNorm, context.NoiseMultiplier);

    /// <inheritdoc />
    public override string Summary => (pin is null
        ? string.Create(CultureInfo.InvariantCulture,
            $"{program.Name} given {entries.Count} vault entries of kind {trainer.Kind.ToName()}, {program.Confinement}; its update is clipped to L2 norm {context.ClippingNorm / 2:G6} and gets Gaussian noise σ = {context.NoiseMultiplier * context.ClippingNorm:G6} per value from the gateway")
        : string.Create(CultureInfo.InvariantCulture,
            $"{program.Name}, pinned as {pin.Name} (SHA-256 {pin.Sha256}), given {entries.Count} vault entries of kind {trainer.Kind.ToName()}, {program.Confinement}; it ran DP-SGD as planned: q = {SamplingRate:G6}, {Steps} steps, C = {context.ClippingNorm:G6}, z = {context.NoiseMultiplier:G6}{Reported}"))
        + ExternalProgram.StderrText(Stderr);

    /// <summary>The planned DP-SGD steps, by the schedule (and the at-least-one-step charge) of the gateway's own trainers.</summary>
    private int Steps => Math.Max(1, new TrainingOptions(context.Plan.Epochs, context.Plan.BatchSize, (float)context.Plan.LearningRate, 0).StepCount(entries.Count));

    /// <summary>q = min(1, B / N), as the accountant derives it from the charge.</summary>
    private double SamplingRate => DifferentialPrivacy.SamplingRate(entries.Count, context.Plan.BatchSize);

    private string Reported { get; set; } = "";

    private string Stderr { get; set; } = "";

    /// <inheritdoc />
    public override TensorSet Train()
    {
        var folder = trainer.NewFolder($"round-{context.Round}");
        try
        {
            var update = RunProgram(folder).Subtract(context.BaseModel);
            if (pin is not null)
            {
                return update; // DP-SGD noise was added inside the pinned trainer, at every step
            }

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
            dpSgd = pin is null ? null : new { samplingRate = SamplingRate, steps = Steps, clippingNorm = context.ClippingNorm, noiseMultiplier = context.NoiseMultiplier },
        }));

        string[] arguments = ["--base-model", baseModel, "--data", data, "--plan", plan, "--output", output];
        var report = Path.Combine(folder.Output, "privacy-report.json");
        Stderr = program.Run(folder.Input, folder.Output, pin is null ? arguments : [.. arguments, "--privacy-report", report]);
        if (pin is not null)
        {
            CheckReport(report);
        }

        return ReadOutput(output);
    }

    /// <summary>The pinned trainer's report must say it ran DP-SGD at most as planned: no higher q, no more steps, no larger C, no smaller z.</summary>
    private void CheckReport(string report)
    {
        if (!File.Exists(report) || new FileInfo(report).Length > 4096)
        {
            throw Refused(File.Exists(report) ? "wrote a privacy report over 4 KiB" : "wrote no privacy report (--privacy-report), which a pinned trainer must");
        }

        if (DpSgdReport.Read(File.ReadAllBytes(report)) is not { } reported)
        {
            throw Refused("wrote a privacy report that is not {\"mechanism\":\"dp-sgd\",\"samplingRate\":…,\"steps\":…,\"clippingNorm\":…,\"noiseMultiplier\":…}");
        }

        const double slack = 1e-9;
        string? problem = reported switch
        {
            _ when reported.NoiseMultiplier < context.NoiseMultiplier * (1 - slack) => $"z = {reported.NoiseMultiplier:G6}, below the policy's minimum {context.NoiseMultiplier:G6}",
            _ when reported.ClippingNorm > context.ClippingNorm * (1 + slack) => $"C = {reported.ClippingNorm:G6}, above the policy's maximum {context.ClippingNorm:G6}",
            _ when reported.SamplingRate > SamplingRate * (1 + slack) => $"q = {reported.SamplingRate:G6}, above the planned {SamplingRate:G6}",
            _ when reported.Steps > Steps => $"{reported.Steps} steps, more than the planned {Steps}",
            _ => null,
        };
        if (problem is not null)
        {
            throw Refused(string.Create(CultureInfo.InvariantCulture, $"reports DP-SGD with {problem}"));
        }

        Reported = string.Create(CultureInfo.InvariantCulture,
            $"; it reports q = {reported.SamplingRate:G6}, {reported.Steps} steps, C = {reported.ClippingNorm:G6}, z = {reported.NoiseMultiplier:G6}");
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
