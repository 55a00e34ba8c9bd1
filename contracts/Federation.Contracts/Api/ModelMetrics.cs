using Federation.Contracts.Events;

namespace Federation.Contracts.Api;

/// <summary>How a model version performed on the gateways' local held-out data.</summary>
/// <param name="ModelVersion">The version.</param>
/// <param name="Global">Each metric (and slice) over all reporting gateways, weighted by sample count.</param>
/// <param name="PerGateway">Each gateway's recorded report.</param>
/// <param name="DroppedSlices">
/// The slices gateways computed but left out for having fewer samples than their policy's minimum, by gateway, from
/// their signed reports: where a weak slice may hide. Empty when none; absent from responses of older aggregators.
/// </param>
public sealed record ModelMetrics(int ModelVersion, IReadOnlyList<WeightedMetric> Global, IReadOnlyList<EvaluationRecorded> PerGateway, IReadOnlyList<DroppedSlice>? DroppedSlices = null);

/// <summary>A slice one gateway dropped from its report of a model version.</summary>
/// <param name="GatewayId">The gateway.</param>
/// <param name="Slice">The slice, e.g. <c>lighting=dim</c>.</param>
public sealed record DroppedSlice(string GatewayId, string Slice);

/// <summary>A metric combined over gateways.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Slice">Slice, or null for all data.</param>
/// <param name="Value">Sample-weighted mean over the gateways.</param>
/// <param name="SampleCount">Samples behind it in total.</param>
/// <param name="Gateways">How many gateways reported it.</param>
public sealed record WeightedMetric(string Name, string? Slice, double Value, long SampleCount, int Gateways);
