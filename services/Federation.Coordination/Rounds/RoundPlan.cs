using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;

namespace Federation.Coordination.Rounds;

/// <summary>
/// How rounds run, configured under <c>Aggregator:Rounds</c>: the defaults for every round, and
/// how many rounds the aggregator opens by itself.
/// </summary>
public sealed class RoundPlan
{
    /// <summary>The longest a round may stay open.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    /// <summary>
    /// Rounds the aggregator opens on its own, counted over the federation's whole history;
    /// 0 means rounds open only when the model team asks.
    /// </summary>
    public int Count { get; set; }

    /// <summary>Aggregation strategy (see <c>AggregationStrategies</c>), e.g. fedavg, krum, fedmedian.</summary>
    public string Strategy { get; set; } = "fedavg";

    /// <summary>The strategy's parameters, e.g. <c>f</c> for Krum.</summary>
    public Dictionary<string, double> StrategyParameters { get; set; } = [];

    /// <summary>Updates with a larger L2 norm are rejected; null for no bound.</summary>
    public double? MaxUpdateNorm { get; set; }

    /// <summary>Accepted contributions needed to aggregate when the deadline passes.</summary>
    public int MinParticipants { get; set; } = 1;

    /// <summary>How long a round stays open.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Local epochs per round.</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Local mini-batch size.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Local SGD learning rate.</summary>
    public double LearningRate { get; set; } = 0.1;

    /// <summary>Seed for local shuffling.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>FedProx proximal weight μ for local training; 0 for plain SGD.</summary>
    public double ProximalMu { get; set; }

    /// <summary>What stops this plan from running with <paramref name="enrolledGateways"/> gateways, or null.</summary>
    public string? RoundPlanProblem(int enrolledGateways) => RoundPlanValidation.Problem(this, enrolledGateways);

    /// <summary>The plan a task recorded (<see cref="TaskCreatedV2.RoundPlan"/>), as rounds of it run; how many it runs is recorded beside it (<see cref="TaskCreatedV2.RoundCount"/>).</summary>
    public static RoundPlan FromTaskPlan(TaskRoundPlan plan) => new()
    {
        Count = 0,
        Strategy = plan.Strategy,
        StrategyParameters = new Dictionary<string, double>(plan.StrategyParameters),
        MaxUpdateNorm = plan.MaxUpdateNorm,
        MinParticipants = plan.MinParticipants,
        Duration = TimeSpan.FromSeconds(Math.Min(plan.DurationSeconds, MaxDuration.TotalSeconds)),
        Epochs = plan.Training.Epochs,
        BatchSize = plan.Training.BatchSize,
        LearningRate = plan.Training.LearningRate,
        Seed = plan.Training.Seed,
        ProximalMu = plan.Training.ProximalMu,
    };

    /// <summary>This plan as a task records it (<see cref="TaskCreatedV2.RoundPlan"/>): everything but <see cref="Count"/>.</summary>
    public TaskRoundPlan ToTaskPlan() => new(
        Strategy, StrategyParameters, MinParticipants, Duration.TotalSeconds, MaxUpdateNorm,
        new TrainingPlan(Epochs, BatchSize, LearningRate, Seed, ProximalMu));
}
