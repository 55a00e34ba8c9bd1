using System.Globalization;
using System.Text;
using Federation.Audit.Bundles;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Trust;
using Spectre.Console;

namespace Federation.Cli.Audit;

/// <summary>
/// <c>fedctl audit export|verify|reaggregate|provenance|contributions|proof</c>: what an auditor needs
/// to check, without trusting the aggregator, that a model version came from exactly these signed
/// contributions and that the history was never rewritten.
/// </summary>
public static class AuditCommand
{
    private const string Usage =
        "usage: fedctl audit export --out DIR [--with-payloads] | verify DIR [--log-key KEY] | " +
        "reaggregate --model-version N [--bundle DIR] [--out FILE] | provenance --model-version N [--bundle DIR] | contributions (--gateway ID | --key KEYID) [--bundle DIR] | " +
        "proof (--position N [--tree-size M] | --from A --to B [--checkpoint FILE]) [--bundle DIR] [--log-key KEY]";

    /// <summary>Runs an audit subcommand; returns the exit code.</summary>
    /// <param name="arguments">The arguments after <c>audit</c>.</param>
    /// <param name="client">Makes the API client, for the subcommands that use the API (verify never does).</param>
    /// <param name="console">Where to write.</param>
    public static async Task<int> RunAsync(CommandArguments arguments, Func<AggregatorClient> client, IAnsiConsole console)
    {
        switch (arguments.Positional(0))
        {
            case "export":
                return await ExportAsync(arguments.OptionalText("out") ?? throw new CommandLineException("audit export needs --out DIR."), arguments.Flag("with-payloads"), client(), console);
            case "verify":
                return Verify(arguments.Positional(1) ?? throw new CommandLineException("usage: fedctl audit verify DIR [--log-key KEY]"), arguments.OptionalText("log-key"), console);
            case "reaggregate":
                return await ReaggregateAsync(ModelVersion(arguments), Source(arguments, client), arguments.OptionalText("out"), console);
            case "provenance":
                return await ProvenanceAsync(ModelVersion(arguments), Source(arguments, client), console);
            case "proof":
                return await ProofCommand.RunAsync(arguments, client, console);
            case "contributions" when arguments.OptionalText("gateway") is null == arguments.OptionalText("key") is null:
                throw new CommandLineException("audit contributions needs either --gateway ID or --key KEYID.");
            case "contributions":
                return await ContributionsAsync(arguments.OptionalText("gateway"), arguments.OptionalText("key"), Source(arguments, client), console);
            default:
                throw new CommandLineException(Usage);
        }
    }

    private static int ModelVersion(CommandArguments arguments) =>
        arguments.OptionalNumber("model-version") ?? throw new CommandLineException("This audit command needs --model-version N.");

    private static AuditSource Source(CommandArguments arguments, Func<AggregatorClient> client) =>
        arguments.OptionalText("bundle") is { } bundle ? AuditSource.FromBundle(bundle) : ApiAuditSource.Create(client());

    private static async Task<int> ExportAsync(string directory, bool withPayloads, AggregatorClient client, IAnsiConsole console)
    {
        var summary = await new BundleExporter(client, console).ExportAsync(directory, withPayloads);
        console.MarkupLineInterpolated($"Exported [bold]{summary.Events}[/] events (the signed checkpoint's size) to {summary.Directory}");
        console.MarkupLineInterpolated($"  {(summary.Payloads is { } count ? $"{count} payloads, {summary.PayloadBytes:N0} bytes" : "no payloads (add --with-payloads to re-aggregate offline)")}");
        console.MarkupLineInterpolated($"  the aggregator's log key: {summary.LogKey}");
        if (!summary.CheckpointVerifies)
        {
            console.MarkupLine("[red]The checkpoint does not verify with the key the aggregator serves; keep this bundle as evidence.[/]");
            return 1;
        }

        console.MarkupLineInterpolated($"Verify offline with: fedctl audit verify {summary.Directory} --log-key <the log key you obtained independently>");
        return 0;
    }

    /// <summary>Verifies a bundle offline and prints the summary and every finding; 0 only when nothing is wrong.</summary>
    public static int Verify(string directory, string? logKey, IAnsiConsole console)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"{directory} does not exist.");
        }

        console.MarkupLineInterpolated($"Verifying the audit bundle {Path.GetFullPath(directory)} offline");
        AuditReport report = null!;
        console.Progress().Start(context =>
        {
            var events = context.AddTask("Checking events", maxValue: 1);
            ProgressTask? payloads = null;
            report = new BundleVerifier(directory, logKey).Verify((phase, done, total) =>
            {
                if (phase == BundleVerifier.EventsPhase)
                {
                    (events.MaxValue, events.Value) = (Math.Max(total, 1), done);
                }
                else
                {
                    events.Value = events.MaxValue;
                    payloads ??= context.AddTask("Hashing payloads", maxValue: Math.Max(total, 1));
                    payloads.Value = done;
                }
            });
            events.Value = events.MaxValue;
        });

        foreach (var warning in report.Warnings)
        {
            console.MarkupLineInterpolated($"[yellow]warning: {warning}[/]");
        }

        var checks = new Table().AddColumns("", "Check", "Result");
        void Row(int check, string name, string passed)
        {
            var failed = report.Findings.Count(finding => finding.Check == check);
            checks.AddRow(
                failed == 0 ? "[green]ok[/]" : "[red]FAIL[/]",
                Markup.Escape($"{check}. {name}"),
                Markup.Escape(failed == 0 ? passed : $"{failed} finding{(failed == 1 ? "" : "s")}"));
        }

        Row(1, "checkpoint", $"size {report.CheckpointSize} signed by {report.LogKey} ({(report.LogKeyPinned ? "pinned" : "trust on first use")})");
        Row(2, "events", $"{report.EventsChecked} events, positions 1..{report.EventsChecked}; " +
            (report.RootMatches ? "their RFC 6962 root is the checkpoint's" : "NOT compared with a signed root (see checkpoint)"));
        Row(3, "key events", $"{report.KeyEvents} key events enrol {report.Keys} keys of {report.Gateways} gateways; every key id is the SHA-256 of its key");
        Row(4, "signatures", $"{report.ContributionsChecked} accepted contributions; {report.SignaturesVerified} of {report.SignaturesChecked} signatures verified, each by a key valid at receipt under an allowed policy");
        Row(5, "model versions", $"{report.ModelVersions} versions, consecutive; {report.ModelVersionsTraced} traced to their round's signed contributions");
        Row(6, "payloads", report.PayloadsChecked is { } files ? $"{files} files hash to their names; every referenced payload is present" : "not in the bundle (exported without --with-payloads)");
        console.Write(checks);

        foreach (var revoked in report.RevokedKeys)
        {
            var count = revoked.SignedBefore.Count;
            var positions = count == 0 ? "nothing signed with it was accepted" : $"{count} signed event{(count == 1 ? "" : "s")} (position{(count == 1 ? "" : "s")} {string.Join(", ", revoked.SignedBefore)}) signed before revocation, still valid";
            console.WriteLine($"  key {revoked.KeyId} of {revoked.GatewayId} revoked at {revoked.RevokedAt:O} (position {revoked.Position}, \"{revoked.Reason}\"): {positions}");
        }

        foreach (var finding in report.Findings)
        {
            console.MarkupLineInterpolated($"[red]✗[/] {finding.Where}: {finding.Problem}");
        }

        var summary = $"{report.EventsChecked} events checked, {report.SignaturesVerified} signatures verified, {report.ModelVersionsTraced} model versions traced";
        if (report.Passed)
        {
            console.MarkupLineInterpolated($"[green]VERIFIED[/]: {summary}.");
            return 0;
        }

        console.MarkupLineInterpolated($"[red]FAILED[/] with {report.Findings.Count} finding{(report.Findings.Count == 1 ? "" : "s")}: {summary}.");
        return 1;
    }

    private static async Task<int> ReaggregateAsync(int version, AuditSource source, string? output, IAnsiConsole console)
    {
        var result = await Reaggregation.RunAsync(source, version);
        var published = result.Published;
        console.MarkupLineInterpolated($"Re-aggregating model v{version} from {source.Description}: {published.Strategy} {Parameters(published.StrategyParameters)} on v{result.Base.Version}, {published.Contributions.Count} contributions in the recorded order{(result.Base.StrategyStateSha256 is null ? "" : result.ContinuedFromSavedState ? ", continuing from the state saved with v" + result.Base.Version : ", starting the strategy fresh")}");
        foreach (var problem in result.Problems)
        {
            console.MarkupLineInterpolated($"[red]✗[/] {problem}");
        }

        if (result.Model is not null)
        {
            var path = Path.GetFullPath(output ?? $"model-v{version}.reaggregated.safetensors");
            await File.WriteAllBytesAsync(path, result.Model);
            console.MarkupLineInterpolated($"  wrote {path}{(output is null ? " (no --out given: the current folder)" : "")}");
        }

        console.MarkupLineInterpolated($"  published  {published.ModelSha256}");
        console.MarkupLineInterpolated($"  recomputed {result.RecomputedSha256 ?? "(not computed)"}");
        if (published.StrategyStateSha256 is not null || result.RecomputedStateSha256 is not null)
        {
            console.MarkupLineInterpolated($"  state published  {published.StrategyStateSha256 ?? "none"}");
            console.MarkupLineInterpolated($"  state recomputed {result.RecomputedStateSha256 ?? "none"}");
        }

        foreach (var difference in result.SelectionDifferences)
        {
            console.MarkupLineInterpolated($"[red]✗[/] {difference}");
        }

        if (result.Confirmed)
        {
            console.MarkupLineInterpolated($"[green]confirmed[/]: model v{version} is exactly the aggregation of its recorded contributions.");
            return 0;
        }

        console.MarkupLineInterpolated($"[red]NOT confirmed[/]: the recomputed model v{version} differs from the published one.");
        return 1;
    }

    private static async Task<int> ProvenanceAsync(int version, AuditSource source, IAnsiConsole console)
    {
        var entry = await source.VersionAsync(version);
        var published = (ModelVersionPublished)entry.Event;
        var keys = await source.KeysAsync();
        console.MarkupLineInterpolated($"[bold]Model v{version}[/] {published.ModelSha256} ({published.ModelBytes:N0} bytes), event position {entry.Recorded.Position}, published {published.PublishedAt:u}");
        if (published.Round is not { } round)
        {
            console.MarkupLine("  the initial model: no round, no contributions");
            return 0;
        }

        var roundEvents = await source.RoundAsync(round);
        var opened = roundEvents.Select(item => item.Event).OfType<RoundOpened>().FirstOrDefault();
        var closed = roundEvents.FirstOrDefault(item => item.Event is RoundClosed);
        console.MarkupLineInterpolated($"  round {round}{(opened is null ? "" : $", opened on v{opened.BaseModelVersion} ({opened.BaseModelSha256}) with {opened.Invited.Count} invited, at least {opened.MinParticipants}")}{(closed is { Event: RoundClosed outcome } ? $", closed {Kebab(outcome.Outcome)} at position {closed.Recorded.Position}" : "")}");
        console.MarkupLineInterpolated($"  strategy {published.Strategy} {Parameters(published.StrategyParameters)}; base v{published.BaseModelVersion}; strategy state {published.StrategyStateSha256 ?? "none"}");
        console.MarkupLineInterpolated($"  contributions, in aggregation order ({published.Contributions.Count}):");

        var accepted = roundEvents.Where(item => item.Event is ContributionAccepted).ToList();
        foreach (var (used, index) in published.Contributions.Select((used, index) => (used, index)))
        {
            var match = accepted.FirstOrDefault(item => item.Event is ContributionAccepted a && a.GatewayId == used.GatewayId && a.PayloadSha256 == used.PayloadSha256);
            console.WriteLine($"  #{index + 1} {used.GatewayId}, {used.SampleCount} samples, {(used.Selected ? "selected" : "left out by the strategy")}");
            if (match is { Event: ContributionAccepted contribution })
            {
                WriteContribution(console, match.Recorded.Position, contribution, keys.At(match.Recorded.Position));
            }
            else
            {
                console.WriteLine($"     no accepted event found for key {used.KeyId}, payload {used.PayloadSha256}");
            }
        }

        var rejected = roundEvents.Where(item => item.Event is ContributionRejected).ToList();
        if (rejected.Count == 0)
        {
            console.MarkupLineInterpolated($"  round {round} rejected no contributions");
            return 0;
        }

        var rejections = new Table().Title($"Rejected in round {round}").AddColumns("Gateway", "Key id", "Reason", "Detail", "Position");
        foreach (var item in rejected)
        {
            var rejection = (ContributionRejected)item.Event;
            rejections.AddRow(Markup.Escape(rejection.GatewayId ?? "?"), rejection.KeyId ?? "?", Kebab(rejection.Reason), Markup.Escape(rejection.Detail),
                item.Recorded.Position.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(rejections);
        return 0;
    }

    // One accepted contribution's evidence, one fact per line, full values so an auditor can copy them.
    private static void WriteContribution(IAnsiConsole console, long position, ContributionAccepted contribution, SignedStatus? status)
    {
        console.WriteLine($"     position   {position} (round {contribution.Round}, received {contribution.ReceivedAt:O})");
        console.WriteLine($"     sequence   {contribution.Sequence}");
        console.WriteLine($"     policy     {contribution.PolicySha256}");
        console.WriteLine($"     payload    {contribution.PayloadSha256} ({contribution.PayloadBytes} bytes, {contribution.SampleCount} samples)");
        console.WriteLine($"     key        {contribution.KeyId}: {status?.KeyStatus ?? "unknown"}");
        if (status?.Life is { } life)
        {
            console.WriteLine($"     key life   {life.Describe()}");
        }

        console.WriteLine($"     signature  {contribution.Signature} {(status?.SignatureVerifies == true ? "verified" : "DOES NOT VERIFY")}");
    }

    private static async Task<int> ContributionsAsync(string? gateway, string? keyId, AuditSource source, IAnsiConsole console)
    {
        var history = await source.HistoryAsync();
        var keys = await source.KeysAsync();
        bool Selected(string? gatewayId, string? signedBy) => gateway is not null ? gatewayId == gateway : signedBy == keyId;

        var usedIn = history.Select(entry => entry.Event).OfType<ModelVersionPublished>()
            .SelectMany(published => published.Contributions.Select(used => (used, published.Version)))
            .Where(pair => Selected(pair.used.GatewayId, pair.used.KeyId))
            .GroupBy(pair => pair.used.PayloadSha256, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First(), StringComparer.Ordinal);
        if (keyId is not null)
        {
            console.WriteLine(keys.Keys.TryGetValue(keyId, out var life)
                ? $"Key {keyId} of gateway {life.GatewayId}: {life.Describe()}"
                : $"Key {keyId}: no key event of {source.Description} enrols it");
        }
        else if (keys.Final.Find(gateway!) is { } registered)
        {
            console.WriteLine($"Gateway {gateway}: {registered.Keys.Length} key{(registered.Keys.Length == 1 ? "" : "s")}, allowed policies {string.Join(", ", registered.AllowedPolicies)}");
            foreach (var key in registered.Keys)
            {
                console.WriteLine($"  key {key.KeyId}: {keys.Keys.GetValueOrDefault(key.KeyId)?.Describe()}");
            }
        }

        var count = 0;
        foreach (var entry in history)
        {
            var position = entry.Recorded.Position;
            switch (entry.Event)
            {
                case ContributionAccepted accepted when Selected(accepted.GatewayId, accepted.KeyId):
                    count++;
                    var model = usedIn.TryGetValue(accepted.PayloadSha256, out var used) ? $"v{used.Version}{(used.used.Selected ? "" : " (left out)")}" : "not in a published version";
                    console.WriteLine($"accepted  {accepted.GatewayId}, round {accepted.Round}, used in {model}");
                    WriteContribution(console, position, accepted, keys.At(position));
                    break;
                case ContributionRejected rejected when Selected(rejected.GatewayId, rejected.KeyId):
                    count++;
                    console.WriteLine($"rejected  {rejected.GatewayId ?? "?"}, round {rejected.Round?.ToString(CultureInfo.InvariantCulture) ?? "?"}, position {position}, received {rejected.ReceivedAt:O}: {Kebab(rejected.Reason)}: {rejected.Detail}");
                    console.WriteLine($"     key        {rejected.KeyId ?? "?"}; payload {rejected.PayloadSha256 ?? "?"}");
                    break;
                case EvaluationRecorded evaluation when Selected(evaluation.GatewayId, evaluation.KeyId):
                    count++;
                    var status = keys.At(position);
                    console.WriteLine($"evaluated {evaluation.GatewayId}, model v{evaluation.ModelVersion}, position {position}, recorded {evaluation.RecordedAt:O}: {string.Join(", ", evaluation.Metrics.Select(metric => $"{metric.Name}={metric.Value.ToString(CultureInfo.InvariantCulture)}"))}");
                    console.WriteLine($"     key        {evaluation.KeyId}: {status?.KeyStatus ?? "unknown"}");
                    console.WriteLine($"     signature  {evaluation.Signature} {(status?.SignatureVerifies == true ? "verified" : "DOES NOT VERIFY")}");
                    break;
            }
        }

        console.WriteLine($"{count} signed event{(count == 1 ? "" : "s")} {(gateway is not null ? $"of gateway {gateway}" : $"naming key {keyId}")} in {source.Description}");
        return 0;
    }

    private static string Parameters(IReadOnlyDictionary<string, double> parameters) =>
        parameters.Count == 0
            ? "(no parameters)"
            : string.Join(" ", parameters.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value.ToString(CultureInfo.InvariantCulture)}"));

    private static string Kebab(Enum value) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
