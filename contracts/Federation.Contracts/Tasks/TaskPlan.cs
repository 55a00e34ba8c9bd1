using Federation.Contracts.Messages;

namespace Federation.Contracts.Tasks;

/// <summary>A task's default round plan: what a round of the task uses for anything its opener leaves out.</summary>
/// <param name="Strategy">Aggregation strategy, e.g. "fedavg".</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
/// <param name="MinParticipants">Accepted contributions needed to aggregate at the deadline.</param>
/// <param name="DurationSeconds">How long a round stays open.</param>
/// <param name="MaxUpdateNorm">L2 bound on each update; null for none.</param>
/// <param name="Training">Local training (epochs, batch size, learning rate, seed, FedProx μ).</param>
public sealed record TaskRoundPlan(
    string Strategy,
    IReadOnlyDictionary<string, double> StrategyParameters,
    int MinParticipants,
    double DurationSeconds,
    double? MaxUpdateNorm,
    TrainingPlan Training);

/// <summary>How a task's model versions are evaluated.</summary>
/// <param name="Metrics">The metrics gateways are asked to report (e.g. "accuracy", "loss"); each gateway's policy still decides what it releases.</param>
/// <param name="Gate">The release gate; null when every version is released as soon as it is published.</param>
public sealed record TaskEvaluationPlan(IReadOnlyList<string> Metrics, ReleaseGate? Gate);
