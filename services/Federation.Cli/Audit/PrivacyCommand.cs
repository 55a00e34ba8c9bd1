using System.CommandLine;
using System.Globalization;
using Federation.Audit;
using Federation.Audit.Bundles;
using Federation.Audit.Privacy;
using Spectre.Console;

namespace Federation.Cli.Audit;

/// <summary>
/// <c>fedctl audit privacy --bundle DIR</c>: every factory's privacy spending per task, recomputed offline from the
/// signed manifests of an audit bundle (<see cref="PrivacyAudit"/>), beside what each gateway signed, with every release
/// that went over the budget of the policy it names. Run <c>fedctl audit verify</c> on the bundle first: this command
/// reads the manifests, it does not check their signatures or the log.
/// </summary>
public static class PrivacyCommand
{
    /// <summary>Builds the command; it exits 1 when a release exceeded its budget or a signed ε disagrees with its parameters.</summary>
    public static Command Create(FedctlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bundle = new Option<string>("--bundle") { HelpName = "DIR", Description = "the audit bundle (fedctl audit export)", Required = true };
        var privacy = new Command(
            "privacy",
            "offline: recompute each factory's ε per task and budget window from the signed manifests; flag any release over its policy's budget or whose signed ε its parameters do not give; exit 1 if any")
        {
            bundle,
        };
        privacy.SetAction(parsed => Run(parsed.GetRequiredValue(bundle), context.Console));
        return privacy;
    }

    private static int Run(string directory, IAnsiConsole console)
    {
        IReadOnlyList<AuditedRelease> releases;
        try
        {
            releases = PrivacyAudit.Of(AuditBundle.ReadHistory(directory).Select(entry => entry.Event));
        }
        catch (AuditException error)
        {
            throw new CommandFailedException(error.Message);
        }

        var table = new Table().Title("Privacy spent per factory and task (ε at each policy's δ)")
            .AddColumns("Gateway", "Task", "Releases", "Last release", "ε in window: signed", "recomputed", "Budget", "Verdict");
        foreach (var group in releases.GroupBy(release => (release.GatewayId, release.Task)))
        {
            var last = group.Last();
            bool bad = group.Any(Flagged);
            table.AddRow(
                Markup.Escape(group.Key.GatewayId), Markup.Escape(group.Key.Task), group.Count().ToString(CultureInfo.InvariantCulture),
                last.At.ToString("u", CultureInfo.InvariantCulture), Number(last.Signed.EpsilonInWindow), Number(last.EpsilonInWindow),
                Markup.Escape($"ε {Number(last.Signed.BudgetEpsilon)}, δ {last.Signed.Delta.ToString("G3", CultureInfo.InvariantCulture)} per {TimeSpan.FromSeconds(last.Signed.WindowSeconds).TotalDays.ToString("0.##", CultureInfo.InvariantCulture)} d"),
                bad ? "[red]FLAGGED[/]" : last.WindowAgrees ? "[green]within budget, agrees[/]" : "[yellow]within budget; the gateway counts releases not in this history[/]");
        }

        console.Write(table);
        var flagged = releases.Where(Flagged).ToList();
        foreach (var release in flagged)
        {
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"FLAGGED {release.GatewayId} task {release.Task} sequence {release.Sequence} at {release.At:u} under policy {release.PolicySha256[..12]}…: {Why(release)}")));
        }

        if (releases.Count == 0)
        {
            console.MarkupLine("No release in this bundle carries a signed privacy charge (manifests before v3 do not).");
        }

        return flagged.Count == 0 ? 0 : 1;
    }

    /// <summary>Over budget, a signed ε its parameters do not give, or a signed window ε below what the history shows.</summary>
    private static bool Flagged(AuditedRelease release) =>
        release.ExceedsBudget || !release.EpsilonAgrees || (!release.WindowAgrees && release.Signed.EpsilonInWindow < release.EpsilonInWindow);

    private static string Why(AuditedRelease release) => string.Join("; ", new[]
    {
        release.ExceedsBudget ? $"window ε {Number(Math.Max(release.Signed.EpsilonInWindow, release.EpsilonInWindow))} exceeds the budget ε {Number(release.Signed.BudgetEpsilon)}" : null,
        !release.EpsilonAgrees ? $"signed ε {Number(release.Signed.Epsilon)} but q = {Number(release.Signed.SamplingRate)}, {release.Signed.Steps} steps, z = {Number(release.Signed.NoiseMultiplier)} cost {Number(release.Epsilon)}" : null,
        !release.WindowAgrees && release.Signed.EpsilonInWindow < release.EpsilonInWindow ? $"signed window ε {Number(release.Signed.EpsilonInWindow)} is below the {Number(release.EpsilonInWindow)} the history shows" : null,
    }.OfType<string>());

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
