using System.Collections.Immutable;
using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;

namespace Federation.Policies;

/// <summary>
/// A model update a gateway wants to send, with the DP-SGD parameters its local training actually used (see
/// <see cref="Federation.Learning.Training.DifferentialPrivacy"/>), which the policy judges and the accountant charges.
/// </summary>
/// <param name="Update">The update (trained model minus base model), before update clipping.</param>
/// <param name="SampleCount">N, the number of local training examples behind it.</param>
/// <param name="BatchSize">B, the expected batch size; with <paramref name="SampleCount"/> it gives the Poisson sampling rate q = min(1, B / N).</param>
/// <param name="LocalSteps">The number of DP-SGD steps in this round (<see cref="Federation.Learning.Training.TrainingOptions.StepCount"/>).</param>
/// <param name="ExampleClippingNorm">C, the per-example gradient clipping norm the trainer used.</param>
/// <param name="NoiseMultiplier">z, the trainer's noise multiplier: each step's clipped sum got N(0, (z·C)²) per coordinate. 0 when training was not private.</param>
/// <param name="AggregatorKeyId">The key id of the aggregator that will receive it.</param>
/// <param name="Task">
/// The task the update is for (from the round's announcement; <see cref="TaskIds.Default"/> for an announcement without
/// one): its rules apply, its budget pays, and a task the policy does not name is refused.
/// </param>
public sealed record ModelUpdateRequest(
    TensorSet Update,
    long SampleCount,
    int BatchSize,
    int LocalSteps,
    double ExampleClippingNorm,
    double NoiseMultiplier,
    string AggregatorKeyId,
    string Task = TaskIds.Default);

/// <summary>What an allowed model-update decision lets leave, and what it cost.</summary>
/// <param name="Update">The update to send: the trained update scaled down, if longer, to <c>clipping.maxUpdateL2Norm</c>.</param>
/// <param name="OriginalNorm">The flat L2 norm before update clipping.</param>
/// <param name="WasClipped">Whether update clipping scaled the update down.</param>
/// <param name="Release">The release as recorded in <paramref name="Ledger"/>.</param>
/// <param name="EpsilonInWindow">ε spent over the budget window including this release (at the policy's δ).</param>
/// <param name="Ledger">The privacy ledger with this release recorded; persist it before sending.</param>
public sealed record ReleasedModelUpdate(
    TensorSet Update,
    double OriginalNorm,
    bool WasClipped,
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
