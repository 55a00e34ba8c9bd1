using System.Globalization;
using System.Text;
using Federation.Learning.Tensors;

namespace Federation.Policies;

/// <summary>
/// Writes the text of a policy, the way a factory would write its own file: for task default and for each named
/// task, its model's tensors and shapes as the allowlist, DP-SGD limits, a budget, metric minimums and pinned
/// trainers; one aggregator key. Used by the demo and the tests; factories write theirs by hand from
/// policies/example.yaml.
/// </summary>
public static class PolicyTemplate
{
    /// <summary>The YAML text of a policy whose task default takes <paramref name="model"/>; no <c>tasks:</c> section.</summary>
    /// <param name="policyId">The policy's id.</param>
    /// <param name="model">The model whose update may leave; its tensor names and shapes form the allowlist.</param>
    /// <param name="aggregatorKeyId">Key id of the only aggregator that may receive anything.</param>
    /// <param name="expires">When the policy stops allowing anything.</param>
    /// <param name="minimumSamples">Fewest local samples behind an update.</param>
    public static string ForModel(string policyId, TensorSet model, string aggregatorKeyId, DateTimeOffset expires, long minimumSamples = 100)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = new StringBuilder()
            .AppendLine($"id: {policyId}")
            .AppendLine("version: 1")
            .AppendLine($"expires: {expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}")
            .AppendLine("allow:")
            .AppendLine("  - model-update")
            .AppendLine("  - evaluation-metrics")
            .AppendLine("aggregatorKeys:")
            .AppendLine($"  - {aggregatorKeyId}");
        return Rules(text, model, new TemplateRules { MinimumSamples = minimumSamples }, indent: "").ToString();
    }

    /// <summary>
    /// A <c>tasks:</c> section: each task allowed model updates and evaluation metrics under its own rules, to append
    /// to <see cref="ForModel"/>'s text.
    /// </summary>
    /// <param name="tasks">Each task's id, its model (the allowlist) and its rules.</param>
    public static string TasksSection(params (string Task, TensorSet Model, TemplateRules Rules)[] tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var text = new StringBuilder().AppendLine("tasks:");
        foreach (var (task, model, rules) in tasks)
        {
            text.AppendLine($"  {task}:").AppendLine("    allow: [model-update, evaluation-metrics]");
            Rules(text, model, rules, indent: "    ");
        }

        return text.ToString();
    }

    /// <summary>The lines of a <c>tensors:</c> allowlist for <paramref name="model"/>: one <c>name: [shape]</c> per tensor, each after <paramref name="indent"/>.</summary>
    /// <param name="model">The model whose update may leave.</param>
    /// <param name="indent">What each line starts with (its depth in the file).</param>
    public static string Tensors(TensorSet model, string indent)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = new StringBuilder();
        foreach (var tensor in model)
        {
            text.AppendLine($"{indent}{tensor.Name}: [{string.Join(", ", tensor.Shape)}]");
        }

        return text.ToString();
    }

    /// <summary>The rules of one task (task default's at the top level, a named task's under it), each line after <paramref name="indent"/>.</summary>
    private static StringBuilder Rules(StringBuilder text, TensorSet model, TemplateRules rules, string indent)
    {
        ArgumentNullException.ThrowIfNull(model);
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"{indent}minimumSamples: {rules.MinimumSamples}")
            .AppendLine($"{indent}tensors:")
            .Append(Tensors(model, indent + "  "))
            .AppendLine($"{indent}clipping:")
            .AppendLine(invariant, $"{indent}  maxUpdateL2Norm: {Number(rules.MaxUpdateL2Norm)}")
            .AppendLine($"{indent}privacy:")
            .AppendLine($"{indent}  maxExampleL2Norm: 1.0")
            .AppendLine(invariant, $"{indent}  minNoiseMultiplier: {Number(rules.MinNoiseMultiplier)}")
            .AppendLine($"{indent}  budget:")
            .AppendLine($"{indent}    epsilon: 8.0")
            .AppendLine($"{indent}    delta: 1.0e-5")
            .AppendLine($"{indent}    window: 30d")
            .AppendLine($"{indent}metrics:")
            .AppendLine($"{indent}  accuracy:")
            .AppendLine(invariant, $"{indent}    minimumSamples: {rules.MetricMinimumSamples}")
            .AppendLine($"{indent}  loss:")
            .AppendLine(invariant, $"{indent}    minimumSamples: {rules.MetricMinimumSamples}");
        if (rules.Trainers.Count > 0)
        {
            text.AppendLine($"{indent}trainers:");
            foreach (var (name, sha256) in rules.Trainers)
            {
                text.AppendLine($"{indent}  {name}: {sha256}");
            }
        }

        return text;
    }

    /// <summary>A number as YAML reads it back exactly: whole ones with <c>.0</c>, as the template always wrote them, others round-trip.</summary>
    private static string Number(double value) =>
        double.IsInteger(value) ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The rules <see cref="PolicyTemplate"/> writes for a task; each default is the template's own.</summary>
public sealed record TemplateRules
{
    /// <summary>Fewest local samples behind an update.</summary>
    public long MinimumSamples { get; init; } = 100;

    /// <summary>The bound on a whole update's L2 norm.</summary>
    public double MaxUpdateL2Norm { get; init; } = 10.0;

    /// <summary>The least DP-SGD noise multiplier z a release may use (C is 1; the budget ε = 8 at δ = 1e-5 over 30 days).</summary>
    public double MinNoiseMultiplier { get; init; } = 1.0;

    /// <summary>Fewest samples behind a released metric, overall or per slice.</summary>
    public long MetricMinimumSamples { get; init; } = 50;

    /// <summary>The trainer programs the factory pins for the task: a name and the SHA-256 of its files (docs/FORMATS.md).</summary>
    public IReadOnlyDictionary<string, string> Trainers { get; init; } = new Dictionary<string, string>();
}
