using Federation.Aggregator.Rounds;

namespace Federation.Aggregator.Api;

/// <summary>What the model team may set when opening a round; anything left out takes the configured default.</summary>
/// <param name="Strategy">Aggregation strategy name.</param>
/// <param name="StrategyParameters">The strategy's parameters.</param>
/// <param name="MinParticipants">Accepted contributions needed at the deadline.</param>
/// <param name="DurationSeconds">How long the round stays open.</param>
/// <param name="Invited">Gateways to invite; every enrolled gateway when left out.</param>
/// <param name="Epochs">Local epochs.</param>
/// <param name="BatchSize">Local batch size.</param>
/// <param name="LearningRate">Local learning rate.</param>
/// <param name="ProximalMu">FedProx μ.</param>
/// <param name="MaxUpdateNorm">L2 bound on each update.</param>
public sealed record OpenRoundRequest(
    string? Strategy = null,
    Dictionary<string, double>? StrategyParameters = null,
    int? MinParticipants = null,
    double? DurationSeconds = null,
    List<string>? Invited = null,
    int? Epochs = null,
    int? BatchSize = null,
    double? LearningRate = null,
    double? ProximalMu = null,
    double? MaxUpdateNorm = null)
{
    /// <summary>The longest a round may stay open.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    /// <summary>
    /// The round plan: the defaults, overridden by what the request sets. A request that names
    /// another strategy does not inherit the default strategy's parameters.
    /// </summary>
    public RoundPlan ToPlan(RoundPlan defaults) => new()
    {
        Count = defaults.Count,
        Strategy = Strategy ?? defaults.Strategy,
        StrategyParameters = StrategyParameters ?? (Strategy is null || Strategy == defaults.Strategy ? defaults.StrategyParameters : []),
        MinParticipants = MinParticipants ?? defaults.MinParticipants,
        Duration = DurationSeconds is { } seconds
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, MaxDuration.TotalSeconds + 1))
            : defaults.Duration,
        Epochs = Epochs ?? defaults.Epochs,
        BatchSize = BatchSize ?? defaults.BatchSize,
        LearningRate = LearningRate ?? defaults.LearningRate,
        Seed = defaults.Seed,
        ProximalMu = ProximalMu ?? defaults.ProximalMu,
        MaxUpdateNorm = MaxUpdateNorm ?? defaults.MaxUpdateNorm,
    };
}
