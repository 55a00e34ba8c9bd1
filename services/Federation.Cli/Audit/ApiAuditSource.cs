using System.Globalization;
using System.Text.Json;
using Federation.Audit.Bundles;
using Federation.Audit.History;

namespace Federation.Cli.Audit;

/// <summary>An <see cref="AuditSource"/> over a running aggregator's API, for audit commands run without a bundle.</summary>
public static class ApiAuditSource
{
    /// <summary>Reads from a running aggregator through its API (an auditor or operator token).</summary>
    /// <param name="client">The API client.</param>
    /// <param name="progress">Told the number of events read after each page.</param>
    public static AuditSource Create(AggregatorClient client, Action<long>? progress = null) => new(
        "the aggregator's API",
        async () =>
        {
            var entries = new List<HistoryEntry>();
            const int page = 1000;
            while (true)
            {
                var (bytes, _) = await client.GetBytesAsync($"/api/events?from={(entries.Count + 1).ToString(CultureInfo.InvariantCulture)}&limit={page}");
                using var document = JsonDocument.Parse(bytes);
                foreach (var element in document.RootElement.EnumerateArray())
                {
                    var recorded = AuditBundle.ParseEvent(element.GetRawText());
                    entries.Add(new HistoryEntry(recorded, EventHistory.Deserialize(recorded)));
                }

                progress?.Invoke(entries.Count);
                if (document.RootElement.GetArrayLength() < page)
                {
                    return entries;
                }
            }
        },
        async sha256 =>
        {
            try
            {
                return (await client.GetBytesAsync($"/api/payloads/{sha256}")).Bytes;
            }
            catch (CommandFailedException)
            {
                return null;
            }
        },
        sha256 => $"/api/payloads/{sha256}");
}
