using Federation.Coordination.Rounds;

namespace Federation.Aggregator.Tests;

public sealed class RoundScheduleTests
{
    private static readonly ScheduleFacts Due = new(
        "press-fit", RoundOpen: false, AwaitsModel: false, RoundsClosed: 1, RoundCount: 3, WhyNoRound: null,
        new RoundPlan { MinParticipants = 1 }, Invited: ["factory-2"], NotEnrolled: [], Active: ["factory-1", "factory-2"]);

    [Fact]
    public void A_task_with_rounds_left_opens_the_next_when_none_is_open()
    {
        RoundSchedule.Next(Due).Step.ShouldBe(ScheduledStep.Open);
    }

    [Fact]
    public void An_open_round_is_checked_for_its_deadline_instead_of_opening_another()
    {
        RoundSchedule.Next(Due with { RoundOpen = true }).Step.ShouldBe(ScheduledStep.CheckDeadline);
    }

    [Fact]
    public void The_next_round_waits_until_the_previous_rounds_model_is_published()
    {
        RoundSchedule.Next(Due with { AwaitsModel = true }).Step.ShouldBe(ScheduledStep.None);
        RoundSchedule.Next(Due with { AwaitsModel = true, RoundsClosed = 3 }).Step.ShouldBe(ScheduledStep.None);
    }

    [Fact]
    public void Once_its_count_of_rounds_has_closed_a_task_opens_no_more()
    {
        RoundSchedule.Next(Due with { RoundsClosed = 3 }).Step.ShouldBe(ScheduledStep.PlanDone);
        RoundSchedule.Next(Due with { RoundsClosed = 5 }).Step.ShouldBe(ScheduledStep.PlanDone);
    }

    [Fact]
    public void A_task_with_a_count_of_zero_never_opens_a_round_by_itself()
    {
        RoundSchedule.Next(Due with { RoundsClosed = 0, RoundCount = 0 }).Step.ShouldBe(ScheduledStep.PlanDone);
    }

    [Fact]
    public void A_paused_or_retired_task_waits_and_says_why()
    {
        var decision = RoundSchedule.Next(Due with { WhyNoRound = "Task 'press-fit' is paused (retooling); no round of it can open." });

        decision.Step.ShouldBe(ScheduledStep.Wait);
        decision.Reason!.ShouldContain("paused (retooling)");
    }

    [Fact]
    public void A_round_below_quorum_of_invited_gateways_with_a_valid_key_waits_for_enrolments()
    {
        var decision = RoundSchedule.Next(Due with { Active = ["factory-1"] });

        decision.Step.ShouldBe(ScheduledStep.Wait);
        decision.Reason!.ShouldContain("0 invited gateways have a valid key, its rounds need 1");
    }

    [Fact]
    public void A_task_inviting_everyone_counts_every_gateway_with_a_valid_key()
    {
        var everyone = Due with { Invited = [], Plan = new RoundPlan { MinParticipants = 2 } };

        RoundSchedule.Next(everyone).Step.ShouldBe(ScheduledStep.Open);
        RoundSchedule.Next(everyone with { Active = ["factory-1"] }).Reason!.ShouldContain("1 gateways have a valid key, its rounds need 2");
    }

    [Fact]
    public void A_task_inviting_a_gateway_that_is_not_enrolled_waits_naming_it()
    {
        var decision = RoundSchedule.Next(Due with { Invited = ["factory-2", "factory-9"], NotEnrolled = ["factory-9"] });

        decision.Step.ShouldBe(ScheduledStep.Wait);
        decision.Reason!.ShouldContain("factory-9");
    }

    [Fact]
    public void A_plan_the_strategy_cannot_run_waits_with_the_strategys_reason()
    {
        var decision = RoundSchedule.Next(Due with { Plan = new RoundPlan { MinParticipants = 1, Strategy = "no-such-strategy" } });

        decision.Step.ShouldBe(ScheduledStep.Wait);
        decision.Reason!.ShouldContain("round plan cannot run");
    }
}
