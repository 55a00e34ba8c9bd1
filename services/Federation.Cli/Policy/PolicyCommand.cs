using System.CommandLine;
using System.Globalization;
using Federation.Policies;
using Spectre.Console;

namespace Federation.Cli.Policy;

/// <summary>
/// <c>fedctl policy check FILE</c>: loads a release policy exactly as the gateway does and says what it lets leave,
/// or why the gateway would refuse to start with it, so factory IT can check a policy before deploying it.
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
        return new Command("policy", "check a gateway's release policy before deploying it") { check };
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
        table.AddRow("expires", Markup.Escape(policy.Expires.ToString("u", CultureInfo.InvariantCulture)));
        table.AddRow("may leave", policy.AllowedKinds.IsEmpty ? "nothing" : string.Join(", ", policy.AllowedKinds.Select(kind => kind.ToName())));
        table.AddRow("to aggregator keys", string.Join("\n", policy.AggregatorKeyIds));
        if (policy.MinimumSamples is { } minimum)
        {
            table.AddRow("model update: minimum samples", minimum.ToString(CultureInfo.InvariantCulture));
        }

        if (!policy.Tensors.IsEmpty)
        {
            table.AddRow("model update: tensors", Markup.Escape(string.Join("\n", policy.Tensors.Select(tensor => $"{tensor.Name} [{string.Join(", ", tensor.Shape)}]"))));
        }

        if (policy.Clipping is { } clipping)
        {
            table.AddRow("model update: L2 norm at most", clipping.MaxUpdateL2Norm.ToString(CultureInfo.InvariantCulture));
        }

        if (policy.Privacy is { } privacy)
        {
            table.AddRow("DP-SGD", string.Create(CultureInfo.InvariantCulture,
                $"per-example norm C <= {privacy.MaxExampleL2Norm}, noise multiplier z >= {privacy.MinNoiseMultiplier}; " +
                $"budget ε = {privacy.Budget.Epsilon}, δ = {privacy.Budget.Delta} per {WindowText.Format(privacy.Budget.Window)}"));
        }

        if (!policy.Metrics.IsEmpty)
        {
            table.AddRow("metrics (minimum samples)", string.Join(", ", policy.Metrics.Select(metric => $"{metric.Name} ({metric.MinimumSamples})")));
        }

        console.Write(table);
        if (policy.Expires <= now)
        {
            console.MarkupLine($"[red]Expired at {policy.Expires:u}: a gateway loads it but lets nothing leave. Raise the version and set a later expires.[/]");
            return 1;
        }

        console.MarkupLine("[green]Valid.[/] A gateway with this policy lets out only the above.");
        return 0;
    }
}
