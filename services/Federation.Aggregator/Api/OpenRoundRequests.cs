using Federation.Contracts.Api;
using Federation.Coordination.Rounds;

namespace Federation.Aggregator.Api;

/// <summary>Turns the model team's round request into the plan a round runs with.</summary>
public static class OpenRoundRequests
{
    /// <summary>
    /// The round plan: the defaults, overridden by what the request sets. A request that names
    /// another strategy does not inherit the default strategy's parameters.
    /// </summary>
    public static RoundPlan ToPlan(this OpenRoundRequest request, RoundPlan defaults) => new()
    {
        Count = defaults.Count,
        Strategy = request.Strategy ?? defaults.Strategy,
        StrategyParameters = request.StrategyParameters
            ?? (request.Strategy is null || request.Strategy == defaults.Strategy ? defaults.StrategyParameters : []),
        MinParticipants = request.MinParticipants ?? defaults.MinParticipants,
        Duration = request.DurationSeconds is { } seconds
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, RoundPlan.MaxDuration.TotalSeconds + 1))
            : defaults.Duration,
        Epochs = request.Epochs ?? defaults.Epochs,
        BatchSize = request.BatchSize ?? defaults.BatchSize,
        LearningRate = request.LearningRate ?? defaults.LearningRate,
        Seed = defaults.Seed,
        ProximalMu = request.ProximalMu ?? defaults.ProximalMu,
        MaxUpdateNorm = request.MaxUpdateNorm ?? defaults.MaxUpdateNorm,
    };
}
