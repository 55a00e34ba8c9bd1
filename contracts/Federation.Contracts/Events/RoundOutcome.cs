namespace Federation.Contracts.Events;

/// <summary>How a round ended.</summary>
public enum RoundOutcome
{
    /// <summary>Every invited gateway contributed before the deadline; the round closed at once.</summary>
    QuorumReached,

    /// <summary>The deadline passed with at least the minimum number of contributions; silent gateways did not block it.</summary>
    DeadlinePassed,

    /// <summary>The deadline passed below the minimum; no model was aggregated.</summary>
    AbortedBelowQuorum,

    /// <summary>An operator aborted the round; no model was aggregated.</summary>
    AbortedByOperator,

    /// <summary>The round had enough contributions, but the strategy could not combine them (the detail says why); no model.</summary>
    AggregationFailed,
}
