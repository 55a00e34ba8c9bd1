using System.Collections.Immutable;
using Federation.Learning.Tensors;

namespace Federation.Policies;

/// <summary>A model update a gateway wants to send, with what the policy needs to judge it.</summary>
/// <param name="Update">The update (trained model minus base model), before clipping and noise.</param>
/// <param name="SampleCount">The number of local training samples behind it.</param>
/// <param name="BatchSize">The local training batch size; with <paramref name="SampleCount"/> it gives the sampling rate q.</param>
/// <param name="LocalSteps">The number of local training steps in this round.</param>
/// <param name="AggregatorKeyId">The key id of the aggregator that will receive it.</param>
/// <param name="NoiseSeed">
/// 32 secret bytes seeding the noise (<see cref="Federation.Learning.Privacy.CounterModeRandom"/>): fresh from
/// <see cref="Federation.Learning.Privacy.CounterModeRandom.NewSeed"/> for every release, never stored or sent, since
/// whoever knows it can remove the noise. Passed in, rather than drawn here, so that decisions are reproducible.
/// </param>
public sealed record ModelUpdateRequest(
    TensorSet Update, long SampleCount, int BatchSize, int LocalSteps, string AggregatorKeyId, ImmutableArray<byte> NoiseSeed);

/// <summary>What an allowed model-update decision lets leave, and what it cost.</summary>
/// <param name="Update">The update to send: clipped, then noised.</param>
/// <param name="OriginalNorm">The flat L2 norm before clipping.</param>
/// <param name="WasClipped">Whether clipping scaled the update down.</param>
/// <param name="NoiseStandardDeviation">σ = noiseMultiplier × maxL2Norm.</param>
/// <param name="Release">The release as recorded in <paramref name="Ledger"/>.</param>
/// <param name="EpsilonInWindow">ε spent over the budget window including this release (at the policy's δ).</param>
/// <param name="Ledger">The privacy ledger with this release recorded; persist it before sending.</param>
public sealed record ReleasedModelUpdate(
    TensorSet Update,
    double OriginalNorm,
    bool WasClipped,
    double NoiseStandardDeviation,
    PrivacyRelease Release,
    double EpsilonInWindow,
    PrivacyLedger Ledger);

/// <summary>One aggregate evaluation metric a gateway wants to report.</summary>
/// <param name="Name">The metric name, e.g. <c>accuracy</c>.</param>
/// <param name="Value">The aggregate value.</param>
/// <param name="SampleCount">The number of local samples it was computed over.</param>
public sealed record MetricReport(string Name, double Value, long SampleCount);

/// <summary>What an allowed metrics decision lets leave: the reported metrics, unchanged.</summary>
/// <param name="Metrics">The metrics, in the order given.</param>
public sealed record ReleasedMetrics(ImmutableArray<MetricReport> Metrics);
