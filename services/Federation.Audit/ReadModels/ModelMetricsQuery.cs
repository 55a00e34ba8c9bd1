using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;

namespace Federation.Audit.ReadModels;

/// <summary>Reads <see cref="ModelMetrics"/> from the history.</summary>
public static class ModelMetricsQuery
{
    /// <summary>Reads the recorded evaluations of <paramref name="modelVersion"/> of task <c>default</c>.</summary>
    public static Task<ModelMetrics> ReadAsync(EventHistory history, int modelVersion, CancellationToken cancellationToken = default) =>
        ReadAsync(history, TaskIds.Default, modelVersion, cancellationToken);

    /// <summary>Reads the recorded evaluations of <paramref name="modelVersion"/> of <paramref name="task"/>.</summary>
    public static async Task<ModelMetrics> ReadAsync(EventHistory history, string task, int modelVersion, CancellationToken cancellationToken = default)
    {
        var reports = await history.ReadStreamAsync(EventStreams.Evaluations(task), cancellationToken)
            .Select(entry => entry.Event).OfType<EvaluationRecorded>()
            .Where(report => report.ModelVersion == modelVersion)
            .ToListAsync(cancellationToken);
        var global = reports
            .SelectMany(report => report.Metrics)
            .GroupBy(metric => (metric.Name, metric.Slice))
            .OrderBy(group => group.Key.Name, StringComparer.Ordinal).ThenBy(group => group.Key.Slice ?? "", StringComparer.Ordinal)
            .Select(group =>
            {
                var samples = group.Sum(metric => metric.SampleCount);
                return new WeightedMetric(group.Key.Name, group.Key.Slice, group.Sum(metric => metric.Value * metric.SampleCount) / samples, samples, group.Count());
            })
            .ToList();
        // A recorded report passed ReportDocument's checks when it was recorded, so its signed bytes read back.
        var dropped = reports
            .SelectMany(report => ReportDocument.Parse(report.Report, out _)?.DroppedSlices?.Select(slice => new DroppedSlice(report.GatewayId, slice)) ?? [])
            .ToList();
        return new ModelMetrics(modelVersion, global, reports, dropped);
    }
}
