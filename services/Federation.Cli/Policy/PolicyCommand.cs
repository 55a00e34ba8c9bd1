using System.CommandLine;
using System.Globalization;
using Federation.Contracts.Tasks;
using Federation.Policies;
using Spectre.Console;

namespace Federation.Cli.Policy;

/// <summary>
/// <c>fedctl policy check FILE</c>: loads a release policy exactly as the gateway does and says what it lets leave,
/// task by task, or why the gateway would refuse to start with it, so factory IT can check a policy before deploying it.
/// </summary>
public static class PolicyCommand
{
    /// <summary>Builds <c>fedctl policy</c>; <c>check</c> exits 0 for a policy in force, 1 for an invalid or expired one.</summary>
    public static Command Create(FedctlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = new Argument<string>("FILE") { Description = "the release policy (YAML)" };
        var check = new Command(
            "check",
            "load a release policy as the gateway does: what it lets leave, its SHA-256 (to enrol), or the file, line and field that make it invalid; exit 1 if invalid or expired")
        {
            file,
        };
        check.SetAction(parsed => Check(parsed.GetRequiredValue(file), context.Console, context.Now()));

        var folders = new Argument<string[]>("FOLDER") { Description = "the trainer's folders: of its command (unless under /usr) and of its script", Arity = ArgumentArity.OneOrMore };
        var hash = new Command("trainer-hash", "print the hash that pins an external trainer in a policy's trainers: list (docs/FORMATS.md §14)") { folders };
        hash.SetAction(parsed => TrainerHashOf(parsed.GetRequiredValue(folders), context.Console));
        return new Command("policy", "check a gateway's release policy before deploying it; pin a trainer") { check, hash };
    }

    private static int TrainerHashOf(string[] folders, IAnsiConsole console)
    {
        if (folders.FirstOrDefault(folder => !Directory.Exists(folder)) is { } missing)
        {
            throw new CommandFailedException($"{missing} is not a folder; give the folders of the trainer's command and script.");
        }

        console.WriteLine(Site.Training.TrainerHash.Of(folders));
        return 0;
    }

    private static int Check(string path, IAnsiConsole console, DateTimeOffset now)
    {
        LoadedPolicy loaded;
        try
        {
            loaded = PolicyLoader.Load(path);
        }
        catch (PolicyException error)
        {
            throw new CommandFailedException($"Invalid policy; a gateway would not start with it and nothing would leave. {error.Message}");
        }

        var policy = loaded.Policy;
        var table = new Table().Title($"Policy {Markup.Escape(loaded.SourceName)}").AddColumns("Rule", "Value");
        table.AddRow("id, version", Markup.Escape($"{policy.Id} v{policy.Version}{(policy.Name is null ? "" : $" ({policy.Name})")}"));
        table.AddRow("SHA-256 (in every manifest; enrol it)", loaded.Hash);
        table.AddRow("expires (every task)", Markup.Escape(policy.Expires.ToString("u", CultureInfo.InvariantCulture)));
        table.AddRow("to aggregator keys (every task)", string.Join("\n", policy.AggregatorKeyIds));
        table.AddRow("takes part in tasks", Markup.Escape(string.Join(", ", policy.Tasks.Keys) + "; any other task is refused"));
        console.Write(table);
        foreach (var (task, rules) in policy.Tasks)
        {
            string title = task == TaskIds.Default ? $"Task {task} (the top-level rules)" : $"Task {task} (tasks.{task})";
            console.Write(Rules(new Table().Title(Markup.Escape(title)).AddColumns("Rule", "Value"), rules));
        }

        if (policy.Expires <= now)
        {
            console.MarkupLine($"[red]Expired at {policy.Expires:u}: a gateway loads it but lets nothing leave. Raise the version and set a later expires.[/]");
            return 1;
        }

        console.MarkupLine("[green]Valid.[/] A gateway with this policy lets out only the above, each task under its own rules and budget.");
        return 0;
    }

    private static Table Rules(Table table, TaskRules rules)
    {
        table.AddRow("may leave", rules.AllowedKinds.IsEmpty ? "nothing" : string.Join(", ", rules.AllowedKinds.Select(kind => kind.ToName())));
        if (rules.MinimumSamples is { } minimum)
        {
            table.AddRow("model update: minimum samples", minimum.ToString(CultureInfo.InvariantCulture));
        }

        if (!rules.Tensors.IsEmpty)
        {
            table.AddRow("model update: tensors", Markup.Escape(string.Join("\n", rules.Tensors.Select(tensor => $"{tensor.Name} [{string.Join(", ", tensor.Shape)}]"))));
        }

        if (rules.Clipping is { } clipping)
        {
            table.AddRow("model update: L2 norm at most", clipping.MaxUpdateL2Norm.ToString(CultureInfo.InvariantCulture));
        }

        if (rules.Privacy is { } privacy)
        {
            table.AddRow("DP-SGD (this task's own budget)", string.Create(CultureInfo.InvariantCulture,
                $"per-example norm C <= {privacy.MaxExampleL2Norm}, noise multiplier z >= {privacy.MinNoiseMultiplier}; " +
                $"budget ε = {privacy.Budget.Epsilon}, δ = {privacy.Budget.Delta} per {WindowText.Format(privacy.Budget.Window)}"));
        }

        if (rules.Trainers is { } trainers)
        {
            table.AddRow("external trainers pinned (others refused)", trainers.IsEmpty ? "none" : Markup.Escape(string.Join("\n", trainers.Select(trainer => $"{trainer.Name} {trainer.Sha256}"))));
        }

        if (!rules.Metrics.IsEmpty)
        {
            table.AddRow("metrics (minimum samples)", string.Join(", ", rules.Metrics.Select(metric => $"{metric.Name} ({metric.MinimumSamples})")));
        }

        return table;
    }
}
