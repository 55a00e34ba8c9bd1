using Federation.Contracts.Events;

namespace Federation.Contracts.Api;

/// <summary>How a model version performed on the gateways' local held-out data.</summary>
/// <param name="ModelVersion">The version.</param>
/// <param name="Global">Each metric (and slice) over all reporting gateways, weighted by sample count.</param>
/// <param name="PerGateway">Each gateway's recorded report.</param>
public sealed record ModelMetrics(int ModelVersion, IReadOnlyList<WeightedMetric> Global, IReadOnlyList<EvaluationRecorded> PerGateway);

/// <summary>A metric combined over gateways.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Slice">Slice, or null for all data.</param>
/// <param name="Value">Sample-weighted mean over the gateways.</param>
/// <param name="SampleCount">Samples behind it in total.</param>
/// <param name="Gateways">How many gateways reported it.</param>
public sealed record WeightedMetric(string Name, string? Slice, double Value, long SampleCount, int Gateways);
