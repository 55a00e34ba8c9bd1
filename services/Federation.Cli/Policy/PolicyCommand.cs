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
    /// <summary>Runs the subcommand; returns 0 for a policy in force, 1 for an invalid or expired one.</summary>
    /// <param name="arguments">The arguments after <c>policy</c>.</param>
    /// <param name="console">Where the summary goes.</param>
    /// <param name="now">The time expiry is judged at.</param>
    public static int Run(CommandArguments arguments, IAnsiConsole console, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(console);
        return arguments.Positional(0) switch
        {
            "check" => Check(arguments.Positional(1) ?? throw new CommandLineException("policy check needs the policy file."), console, now),
            null => throw new CommandLineException("Missing policy subcommand: check."),
            var other => throw new CommandLineException($"Unknown policy subcommand '{other}'; use check."),
        };
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
