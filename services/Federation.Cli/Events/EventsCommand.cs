using System.CommandLine;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Coordination.History;
using Federation.EventStore;
using Spectre.Console;

namespace Federation.Cli.Events;

/// <summary><c>fedctl events</c>: lists the event history an aggregator (or the demo) wrote.</summary>
public static class EventsCommand
{
    /// <summary>Builds <c>fedctl events</c>.</summary>
    public static Command Create(FedctlContext context)
    {
        var data = CommonOptions.Data("the folder a demo or aggregator wrote");
        var from = CommonOptions.WholeNumber("--from", "N", "start at global position N (default: 1)");
        var json = CommonOptions.Flag("--json", "print each event's stored JSON");
        var events = new Command("events", "list the event history of a data folder") { data, from, json };
        events.SetAction(parsed => RunAsync(parsed.GetValue(data)!, parsed.GetValue(from) ?? 1, parsed.GetValue(json), context));
        return events;
    }

    private static async Task<int> RunAsync(string data, long from, bool json, FedctlContext context)
    {
        var console = context.Console;
        var dataDirectory = Path.GetFullPath(data);
        var database = new[] { Path.Combine(dataDirectory, "aggregator", "events.db"), Path.Combine(dataDirectory, "events.db") }
            .FirstOrDefault(File.Exists);
        if (database is null)
        {
            console.MarkupLineInterpolated($"[red]No event history under {dataDirectory}: expected aggregator/events.db or events.db. Run `make demo` first, or pass --data.[/]");
            return 1;
        }

        await using var store = await SqliteEventStore.OpenAsync(database);
        var table = new Table().AddColumns("Position", "Stream", "Version", "Type", "Recorded", "Summary");
        await foreach (var recorded in store.ReadAllAsync(from))
        {
            if (json)
            {
                console.Profile.Out.Writer.WriteLine($"{recorded.Position} {recorded.StreamId}@{recorded.StreamVersion} {recorded.Type} {recorded.Data}");
                continue;
            }

            table.AddRow(
                recorded.Position.ToString(), recorded.StreamId, recorded.StreamVersion.ToString(), recorded.Type,
                recorded.Timestamp.ToString("u"), Markup.Escape(Summarize(EventHistory.Deserialize(recorded))));
        }

        if (!json)
        {
            console.Write(table);
        }

        return 0;
    }

    private static string Summarize(IFederationEvent @event) => @event switch
    {
        RoundOpened opened => $"round {opened.Round} on model v{opened.BaseModelVersion}, {opened.Invited.Count} invited, deadline {opened.Deadline:u}",
        ContributionAccepted accepted => $"{accepted.GatewayId}: {accepted.SampleCount} samples, payload {accepted.PayloadSha256[..12]}…",
        ContributionRejected rejected => $"{rejected.GatewayId ?? "?"}: {rejected.Reason}: {rejected.Detail}",
        RoundClosed closed => $"{closed.Outcome}: {closed.AcceptedCount} accepted, {closed.RejectedCount} rejected",
        ModelVersionPublished published => $"v{published.Version} {published.ModelSha256[..12]}… from {published.Contributions.Count} contributions ({published.Strategy})",
        EvaluationRecorded evaluation => $"{evaluation.GatewayId} on v{evaluation.ModelVersion}: " +
            string.Join(", ", evaluation.Metrics.Select(metric => $"{metric.Name} {metric.Value:0.####} (n={metric.SampleCount})")),
        EvaluationRejected rejected => $"{rejected.GatewayId ?? "?"}: {rejected.Reason}: {rejected.Detail}",
        _ => @event.GetType().Name,
    };
}
