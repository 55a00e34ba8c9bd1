using Federation.Learning.Strategies;

namespace Federation.Coordination.Rounds;

/// <summary>Checks a round plan before a round opens with it.</summary>
public static class RoundPlanValidation
{
    /// <summary>What is wrong with <paramref name="plan"/>, or null when it can run.</summary>
    public static string? Problem(RoundPlan plan, int enrolledGateways)
    {
        if (plan.MinParticipants < 1 || plan.MinParticipants > enrolledGateways)
        {
            return $"minParticipants must be between 1 and the {enrolledGateways} gateways invited.";
        }

        if (plan.Duration > RoundPlan.MaxDuration)
        {
            return $"durationSeconds must be at most {RoundPlan.MaxDuration.TotalSeconds:0} (30 days).";
        }

        if (plan.Duration <= TimeSpan.Zero || plan.Epochs < 1 || plan.BatchSize < 1 || !(plan.LearningRate > 0) || plan.ProximalMu < 0)
        {
            return "durationSeconds, epochs, batchSize and learningRate must be positive, proximalMu not negative.";
        }

        if (plan.MaxUpdateNorm is <= 0)
        {
            return "maxUpdateNorm must be positive when set.";
        }

        try
        {
            var minimum = AggregationStrategies.Create(plan.Strategy, plan.StrategyParameters).ConfigureRound().MinimumUpdates;
            return plan.MinParticipants >= minimum
                ? null
                : $"{plan.Strategy} needs at least {minimum} updates with these parameters; raise minParticipants (now {plan.MinParticipants}).";
        }
        catch (ArgumentException error)
        {
            return error.Message;
        }
    }
}
