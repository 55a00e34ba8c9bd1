namespace Federation.Coordination.Rounds;

/// <summary>What the round scheduler does next for one task.</summary>
public enum ScheduledStep
{
    /// <summary>A round is open: close it if its deadline has passed.</summary>
    CheckDeadline,

    /// <summary>Nothing now: the last round's model is still being published.</summary>
    None,

    /// <summary>The task's scheduled rounds have all run (at once for a count of 0): it opens no more by itself.</summary>
    PlanDone,

    /// <summary>The next round is due but cannot open yet; the decision says why.</summary>
    Wait,

    /// <summary>Open the next round.</summary>
    Open,
}

/// <summary>The scheduler's next step for a task and, when it waits, why (in words for the operator's log).</summary>
/// <param name="Step">The step.</param>
/// <param name="Reason">Why it waits; null for the other steps.</param>
public sealed record ScheduleDecision(ScheduledStep Step, string? Reason = null);

/// <summary>What the scheduler knows of one task at a tick.</summary>
/// <param name="Task">The task.</param>
/// <param name="RoundOpen">Whether its latest round is open.</param>
/// <param name="AwaitsModel">Whether its latest round closed with enough contributions and its model is not published yet.</param>
/// <param name="RoundsClosed">Its rounds closed over the whole history, however they closed or were opened.</param>
/// <param name="RoundCount">Rounds it runs by itself in all; 0 when rounds open only when asked.</param>
/// <param name="WhyNoRound">Why no round of it may open (paused, retired), or null (<see cref="Tasks.TaskDecisions.WhyNoRound"/>).</param>
/// <param name="Plan">The plan its next round opens with.</param>
/// <param name="Invited">The gateways it invites; empty for every gateway with a valid key.</param>
/// <param name="NotEnrolled">Those of <paramref name="Invited"/> that are not enrolled.</param>
/// <param name="Active">The gateways with a valid key now.</param>
public sealed record ScheduleFacts(
    string Task,
    bool RoundOpen,
    bool AwaitsModel,
    int RoundsClosed,
    int RoundCount,
    string? WhyNoRound,
    RoundPlan Plan,
    IReadOnlyList<string> Invited,
    IReadOnlyList<string> NotEnrolled,
    IReadOnlyCollection<string> Active);

/// <summary>
/// The round scheduler's pure decision: a task runs its <see cref="ScheduleFacts.RoundCount"/> rounds one after
/// another, each once the previous one's model is published, while it is active and enough invited gateways have a
/// valid key for its quorum (a round opened below it could only abort).
/// </summary>
public static class RoundSchedule
{
    /// <summary>The next step for the task the facts describe.</summary>
    public static ScheduleDecision Next(ScheduleFacts facts)
    {
        if (facts.RoundOpen)
        {
            return new(ScheduledStep.CheckDeadline);
        }

        if (facts.AwaitsModel)
        {
            // Closing and publishing are two appends: the plan is not done, nor the next round due, in between.
            return new(ScheduledStep.None);
        }

        if (facts.RoundsClosed >= facts.RoundCount)
        {
            return new(ScheduledStep.PlanDone);
        }

        if (facts.WhyNoRound is { } blocked)
        {
            return Wait(blocked);
        }

        if (facts.NotEnrolled.Count > 0)
        {
            return Wait($"Task '{facts.Task}' invites {string.Join(", ", facts.NotEnrolled)}, not enrolled (enrol with fedctl gateways enrol).");
        }

        var eligible = facts.Invited.Count == 0 ? facts.Active.Count : facts.Invited.Count(facts.Active.Contains);
        if (eligible < facts.Plan.MinParticipants)
        {
            return Wait(
                $"Task '{facts.Task}': {eligible} {(facts.Invited.Count == 0 ? "" : "invited ")}gateways have a valid key, its rounds need {facts.Plan.MinParticipants} (enrol more with fedctl gateways enrol).");
        }

        return facts.Plan.RoundPlanProblem(eligible) is { } problem
            ? Wait($"Task '{facts.Task}': its round plan cannot run: {problem}")
            : new(ScheduledStep.Open);
    }

    private static ScheduleDecision Wait(string reason) => new(ScheduledStep.Wait, reason);
}
