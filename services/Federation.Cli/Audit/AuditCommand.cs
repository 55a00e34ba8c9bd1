using System.CommandLine;
using System.Globalization;
using System.Text;
using Federation.Audit.Bundles;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Cli.Tasks;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;
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
    /// <summary>Builds <c>fedctl audit</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context, ApiOptions api) =>
        new("audit", "what an auditor needs to check that a model version came from exactly its signed contributions and that the history was never rewritten")
        {
            Export(context, api), Verify(context), Reaggregate(context, api), Provenance(context, api), Contributions(context, api), ProofCommand.Create(context, api), PrivacyCommand.Create(context),
        };

    /// <summary>
    /// Where <c>reaggregate</c>, <c>provenance</c> and <c>contributions</c> read: the <c>--bundle</c> offline, else the
    /// aggregator's API. Reading the API reports its progress on standard error.
    /// </summary>
    internal static AuditSource Source(ParseResult parsed, Option<string?> bundle, ApiOptions api, FedctlContext context) =>
        parsed.GetValue(bundle) is { } directory
            ? AuditSource.FromBundle(directory)
            : ApiAuditSource.Create(api.Client(parsed), new ProgressLines(context.Error, "read", "events").Report);

    private static Command Export(FedctlContext context, ApiOptions api)
    {
        var output = CommonOptions.Text("--out", "DIR", "the new (or empty) folder to write the bundle to", required: true);
        var withPayloads = CommonOptions.Flag("--with-payloads", "also every payload the events name, to re-aggregate offline");
        var export = new Command(
            "export",
            "write an audit bundle: the signed checkpoint, exactly the events it covers (gateway key events included), the log key and, with --with-payloads, every payload the events name")
        {
            output, withPayloads,
        };
        api.AddTo(export);
        export.SetAction(parsed => ExportAsync(parsed.GetValue(output)!, parsed.GetValue(withPayloads), api.Client(parsed), context));
        return export;
    }

    private static Command Verify(FedctlContext context)
    {
        var directory = new Argument<string>("DIR") { Description = "the bundle folder" };
        var logKey = LogKeyOption();
        var verify = new Command(
            "verify",
            "offline, no aggregator and no token: check a bundle: checkpoint signature, events against the signed root, the key events, " +
            "every contribution signature by a key valid at receipt, every model version's contributions, payload hashes; " +
            "prints each problem with its file, line, position and field; exit 1 if any")
        {
            directory, logKey,
        };
        verify.SetAction(parsed => Verify(parsed.GetRequiredValue(directory), parsed.GetValue(logKey), context.Console, context.Error));
        return verify;
    }

    /// <summary><c>--log-key KEY</c>: the log's verifier key, pinned by the auditor.</summary>
    internal static Option<string?> LogKeyOption() => CommonOptions.Text(
        "--log-key",
        "KEY",
        "the log's verifier key (or a file holding it), obtained independently; without it the bundle's or aggregator's own key is trusted on first use (with a warning)");

    private static Command Reaggregate(FedctlContext context, ApiOptions api)
    {
        var version = ModelVersionOption();
        var task = TaskOption.Create();
        var bundle = CommonOptions.Bundle();
        var output = CommonOptions.Text("--out", "FILE", "where to write the recomputed model (default: model-vN.reaggregated.safetensors)");
        var reaggregate = new Command(
            "reaggregate",
            "recompute version N of a task from its recorded inputs; exit 0 and \"confirmed\" only when its SHA-256 (and its strategy state's) equal the published ones")
        {
            version, task, bundle, output,
        };
        api.AddTo(reaggregate, offline: bundle);
        reaggregate.SetAction(parsed => ReaggregateAsync(TaskOf(parsed, task), parsed.GetValue(version)!.Value, Source(parsed, bundle, api, context), parsed.GetValue(output), context));
        return reaggregate;
    }

    private static Command Provenance(FedctlContext context, ApiOptions api)
    {
        var version = ModelVersionOption();
        var task = TaskOption.Create();
        var bundle = CommonOptions.Bundle();
        var provenance = new Command(
            "provenance",
            "what made version N of a task: round, strategy, each contribution (key and whether it was revoked later, policy hash, sequence, payload, signature, event position) and the round's rejections")
        {
            version, task, bundle,
        };
        api.AddTo(provenance, offline: bundle);
        provenance.SetAction(parsed => ProvenanceAsync(TaskOf(parsed, task), parsed.GetValue(version)!.Value, Source(parsed, bundle, api, context), context.Console));
        return provenance;
    }

    private static Command Contributions(FedctlContext context, ApiOptions api)
    {
        var gateway = CommonOptions.Text("--gateway", "ID", "everything this gateway sent");
        var key = CommonOptions.Text("--key", "KEYID", "everything this key signed, and the key's life");
        var bundle = CommonOptions.Bundle();
        var contributions = new Command(
            "contributions",
            "everything one gateway sent, or one key signed, accepted or rejected, and the version that used it")
        {
            gateway, key, bundle,
        };
        contributions.Validators.Add(result =>
        {
            if (result.GetResult(gateway) is null == result.GetResult(key) is null)
            {
                result.AddError("audit contributions needs either --gateway ID or --key KEYID.");
            }
        });
        api.AddTo(contributions, offline: bundle);
        contributions.SetAction(parsed => ContributionsAsync(parsed.GetValue(gateway), parsed.GetValue(key), Source(parsed, bundle, api, context), context.Console));
        return contributions;
    }

    // Each task numbers its versions from 0, so a version is looked up in one task's lineage: --task, else task default.
    private static string TaskOf(ParseResult parsed, Option<string?> task) => parsed.GetValue(task) ?? TaskIds.Default;

    // How a version is named in output: v3 in task default, as before tasks; press-fit v3 otherwise.
    private static string Named(string task, int version) => task == TaskIds.Default ? $"v{version}" : $"{task} v{version}";

    private static Option<int?> ModelVersionOption() => CommonOptions.WholeNumber("--model-version", "N", "the model version", required: true);

    private static async Task<int> ExportAsync(string directory, bool withPayloads, AggregatorClient client, FedctlContext context)
    {
        var console = context.Console;
        var summary = await new BundleExporter(client, context.Error).ExportAsync(directory, withPayloads);
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
    /// <param name="directory">The bundle.</param>
    /// <param name="logKey">The pinned log key, or null to trust the bundle's on first use.</param>
    /// <param name="console">Where the summary and findings go.</param>
    /// <param name="progress">Where progress lines go (standard error).</param>
    public static int Verify(string directory, string? logKey, IAnsiConsole console, TextWriter progress)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"{directory} does not exist.");
        }

        console.MarkupLineInterpolated($"Verifying the audit bundle {Path.GetFullPath(directory)} offline");
        var events = new ProgressLines(progress, "checked", "events");
        var payloads = new ProgressLines(progress, "hashed", "payloads");
        var report = new BundleVerifier(directory, logKey).Verify((phase, done, total) =>
            (phase == BundleVerifier.EventsPhase ? events : payloads).Report(done, total));

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
        var lineages = report.Tasks > 1 ? $" in {report.Tasks} tasks, each its own lineage" : "";
        Row(5, "model versions", $"{report.ModelVersions} versions{lineages}, consecutive; {report.ModelVersionsTraced} traced to their round's signed contributions");
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

    private static async Task<int> ReaggregateAsync(string task, int version, AuditSource source, string? output, FedctlContext context)
    {
        var console = context.Console;
        var result = await Reaggregation.RunAsync(source, task, version, new ProgressLines(context.Error, "read", "contributions").Report);
        var published = result.Published;
        console.MarkupLineInterpolated($"Re-aggregating model {Named(task, version)} from {source.Description}: {published.Strategy} {Parameters(published.StrategyParameters)} on v{result.Base.Version}, {published.Contributions.Count} contributions in the recorded order{(result.Base.StrategyStateSha256 is null ? "" : result.ContinuedFromSavedState ? ", continuing from the state saved with v" + result.Base.Version : ", starting the strategy fresh")}");
        foreach (var problem in result.Problems)
        {
            console.MarkupLineInterpolated($"[red]✗[/] {problem}");
        }

        if (result.Model is not null)
        {
            var path = Path.GetFullPath(output ?? (task == TaskIds.Default ? $"model-v{version}.reaggregated.safetensors" : $"model-{task}-v{version}.reaggregated.safetensors"));
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
            console.MarkupLineInterpolated($"[green]confirmed[/]: model {Named(task, version)} is exactly the aggregation of its recorded contributions.");
            return 0;
        }

        console.MarkupLineInterpolated($"[red]NOT confirmed[/]: the recomputed model {Named(task, version)} differs from the published one.");
        return 1;
    }

    private static async Task<int> ProvenanceAsync(string task, int version, AuditSource source, IAnsiConsole console)
    {
        var entry = await source.VersionAsync(task, version);
        var published = (ModelVersionPublished)entry.Event;
        var keys = await source.KeysAsync();
        console.MarkupLineInterpolated($"[bold]Model {Named(task, version)}[/] {published.ModelSha256} ({published.ModelBytes:N0} bytes), event position {entry.Recorded.Position}, published {published.PublishedAt:u}");
        if (published.Round is not { } round)
        {
            console.MarkupLine("  the initial model: no round, no contributions");
            return 0;
        }

        var roundEvents = await source.RoundAsync(task, round);
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

    // Round and version numbers count per task: outside task default they are named with their task ("press-fit v1"), as
    // the other audit commands name them; task default's read as before tasks.
    private static string InTask(HistoryEntry entry, string what) =>
        EventStreams.TaskOf(entry.Recorded.StreamId) is { } task && task != TaskIds.Default ? $"{task} {what}" : what;

    private static async Task<int> ContributionsAsync(string? gateway, string? keyId, AuditSource source, IAnsiConsole console)
    {
        var history = await source.HistoryAsync();
        var keys = await source.KeysAsync();
        bool Selected(string? gatewayId, string? signedBy) => gateway is not null ? gatewayId == gateway : signedBy == keyId;

        var usedIn = history.Where(entry => entry.Event is ModelVersionPublished)
            .SelectMany(entry => ((ModelVersionPublished)entry.Event).Contributions.Select(used => (used, Version: InTask(entry, $"v{((ModelVersionPublished)entry.Event).Version}"))))
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
                    var model = usedIn.TryGetValue(accepted.PayloadSha256, out var used) ? $"{used.Version}{(used.used.Selected ? "" : " (left out)")}" : "not in a published version";
                    console.WriteLine($"accepted  {accepted.GatewayId}, {InTask(entry, $"round {accepted.Round}")}, used in {model}");
                    WriteContribution(console, position, accepted, keys.At(position));
                    break;
                case ContributionRejected rejected when Selected(rejected.GatewayId, rejected.KeyId):
                    count++;
                    console.WriteLine($"rejected  {rejected.GatewayId ?? "?"}, {InTask(entry, $"round {rejected.Round?.ToString(CultureInfo.InvariantCulture) ?? "?"}")}, position {position}, received {rejected.ReceivedAt:O}: {Kebab(rejected.Reason)}: {rejected.Detail}");
                    console.WriteLine($"     key        {rejected.KeyId ?? "?"}; payload {rejected.PayloadSha256 ?? "?"}");
                    break;
                case EvaluationRecorded evaluation when Selected(evaluation.GatewayId, evaluation.KeyId):
                    count++;
                    var status = keys.At(position);
                    console.WriteLine($"evaluated {evaluation.GatewayId}, model {InTask(entry, $"v{evaluation.ModelVersion}")}, position {position}, recorded {evaluation.RecordedAt:O}: {string.Join(", ", evaluation.Metrics.Select(metric => $"{metric.Name}={metric.Value.ToString(CultureInfo.InvariantCulture)}"))}");
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
