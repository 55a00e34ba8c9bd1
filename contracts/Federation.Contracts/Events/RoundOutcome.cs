namespace Federation.Contracts.Events;

/// <summary>How a round ended.</summary>
public enum RoundOutcome
{
    /// <summary>Every invited gateway contributed before the deadline.</summary>
    QuorumReached,

    /// <summary>The deadline passed with at least the minimum number of contributions.</summary>
    DeadlinePassed,

    /// <summary>The deadline passed below the minimum; no model was aggregated.</summary>
    Aborted,
}
