using Federation.Aggregator.History;
using Federation.Contracts.Events;

namespace Federation.Aggregator.Evaluations;

/// <summary>How a model version performed on the gateways' local held-out data.</summary>
/// <param name="ModelVersion">The version.</param>
/// <param name="Global">Each metric (and slice) over all reporting gateways, weighted by sample count.</param>
/// <param name="PerGateway">Each gateway's recorded report.</param>
public sealed record ModelMetrics(int ModelVersion, IReadOnlyList<WeightedMetric> Global, IReadOnlyList<EvaluationRecorded> PerGateway)
{
    /// <summary>Reads the recorded evaluations of <paramref name="modelVersion"/>.</summary>
    public static async Task<ModelMetrics> ReadAsync(EventHistory history, int modelVersion, CancellationToken cancellationToken = default)
    {
        var reports = await history.ReadStreamAsync(EventStreams.Evaluations, cancellationToken)
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
        return new ModelMetrics(modelVersion, global, reports);
    }
}

/// <summary>A metric combined over gateways.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Slice">Slice, or null for all data.</param>
/// <param name="Value">Sample-weighted mean over the gateways.</param>
/// <param name="SampleCount">Samples behind it in total.</param>
/// <param name="Gateways">How many gateways reported it.</param>
public sealed record WeightedMetric(string Name, string? Slice, double Value, long SampleCount, int Gateways);
