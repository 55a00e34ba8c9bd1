using Federation.Audit.Contributions;
using Federation.Audit.ReadModels;
using Federation.Audit;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.Coordination.Contributions;
using Federation.Coordination.Models;
using Federation.Coordination.Rounds;
using Federation.Learning.Tensors;

namespace Federation.Aggregator.Tests;

public sealed class RoundDecisionsTests
{
    private static readonly DateTimeOffset OpenedAt = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly RoundPlan Plan = new() { MinParticipants = 2, Duration = TimeSpan.FromMinutes(5) };
    private static readonly ModelVersion BaseModel = new(0, TestGateway.BaseModelSha256, SafeTensorsLayout.Of(TestGateway.BaseModel));

    private static readonly SafeTensorsLayout BaseLayout = SafeTensorsLayout.Of(TestGateway.BaseModel);

    private static RoundState OpenRound(params string[] invited) =>
        RoundState.Start(RoundDecisions.Open(1, BaseModel, Plan, invited, OpenedAt));

    private static ContributionManifest Manifest(string gateway, string? baseModelSha256 = null) =>
        new(DocumentTypes.ContributionManifest, gateway, "key", 1, baseModelSha256 ?? TestGateway.BaseModelSha256, "sha", 10, 100, 1, "policy", OpenedAt);

    private static RoundState Accept(RoundState round, string gateway) =>
        round.Apply(new ContributionAccepted(round.Round, gateway, "key", "sha", 10, 100, 1, "policy", "{}", "sig", OpenedAt));

    [Fact]
    public void Opening_sets_the_deadline_from_the_time_the_command_carries()
    {
        var round = OpenRound("factory-1");

        round.Opened.Deadline.ShouldBe(OpenedAt + TimeSpan.FromMinutes(5));
        round.Opened.BaseModelSha256.ShouldBe(TestGateway.BaseModelSha256);
        round.IsOpen.ShouldBeTrue();
    }

    [Fact]
    public void An_invited_gateway_with_the_right_layout_is_admitted()
    {
        RoundDecisions.Admit(OpenRound("factory-1"), Manifest("factory-1"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt.AddMinutes(1))
            .ShouldBeNull();
    }

    [Fact]
    public void An_update_with_the_wrong_shapes_is_rejected_and_says_which_tensor()
    {
        var wrong = new TensorSet(TestGateway.BaseModel.Select(tensor => tensor.Name == "linear.weight" ? Tensor.Zeros(tensor.Name, 3, 5) : tensor));

        var rejection = RoundDecisions.Admit(OpenRound("factory-1"), Manifest("factory-1"), PayloadSummary.Of(wrong), BaseLayout, OpenedAt);

        rejection!.Reason.ShouldBe(RejectionReason.ShapeMismatch);
        rejection.Detail.ShouldContain("linear.weight");
    }

    [Fact]
    public void A_contribution_after_the_deadline_is_rejected_as_late()
    {
        var rejection = RoundDecisions.Admit(OpenRound("factory-1"), Manifest("factory-1"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt.AddMinutes(6));

        rejection!.Reason.ShouldBe(RejectionReason.Late);
        rejection.Detail.ShouldContain("deadline");
    }

    [Fact]
    public void A_gateway_that_was_not_invited_is_rejected()
    {
        RoundDecisions.Admit(OpenRound("factory-1"), Manifest("factory-2"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt)!
            .Reason.ShouldBe(RejectionReason.NotInvited);
    }

    [Fact]
    public void A_second_contribution_from_the_same_gateway_is_rejected_as_a_duplicate()
    {
        var round = Accept(OpenRound("factory-1", "factory-2"), "factory-1");

        RoundDecisions.Admit(round, Manifest("factory-1"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt)!
            .Reason.ShouldBe(RejectionReason.DuplicateContribution);
    }

    [Fact]
    public void An_update_trained_from_another_model_is_rejected()
    {
        RoundDecisions.Admit(OpenRound("factory-1"), Manifest("factory-1", new string('0', 64)), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt)!
            .Reason.ShouldBe(RejectionReason.BaseModelMismatch);
    }

    [Fact]
    public void A_round_closed_at_its_deadline_rejects_stragglers_as_late()
    {
        var round = Accept(OpenRound("factory-1", "factory-2"), "factory-1");
        round = round.Apply(RoundDecisions.Close(round, OpenedAt.AddMinutes(6))!);

        RoundDecisions.Admit(round, Manifest("factory-2"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt.AddMinutes(7))!
            .Reason.ShouldBe(RejectionReason.Late);
    }

    [Fact]
    public void A_round_closed_early_admits_nothing_more()
    {
        var round = Accept(OpenRound("factory-1"), "factory-1");
        round = round.Apply(RoundDecisions.Close(round, OpenedAt.AddMinutes(1))!);

        RoundDecisions.Admit(round, Manifest("factory-2"), PayloadSummary.Of(TestGateway.Update()), BaseLayout, OpenedAt.AddMinutes(2))!
            .Reason.ShouldBe(RejectionReason.RoundNotOpen);
    }

    [Fact]
    public void An_update_above_the_rounds_norm_bound_is_rejected()
    {
        var bounded = RoundState.Start(RoundDecisions.Open(1, BaseModel, new RoundPlan { MaxUpdateNorm = 1.0 }, ["factory-1"], OpenedAt));

        // 15 values of 0.25: norm sqrt(15) / 4, about 0.97; of 0.5: about 1.94.
        RoundDecisions.Admit(bounded, Manifest("factory-1"), PayloadSummary.Of(TestGateway.Update(0.25f)), BaseLayout, OpenedAt).ShouldBeNull();
        var rejection = RoundDecisions.Admit(bounded, Manifest("factory-1"), PayloadSummary.Of(TestGateway.Update(0.5f)), BaseLayout, OpenedAt)!;
        rejection.Reason.ShouldBe(RejectionReason.NormTooLarge);
        rejection.Detail.ShouldContain("1.93649");
    }

    [Fact]
    public void A_round_stays_open_before_its_deadline_while_invited_gateways_are_missing()
    {
        RoundDecisions.Close(Accept(OpenRound("factory-1", "factory-2"), "factory-1"), OpenedAt.AddMinutes(4)).ShouldBeNull();
    }

    [Fact]
    public void A_round_closes_as_soon_as_every_invited_gateway_is_accepted()
    {
        var round = Accept(Accept(OpenRound("factory-1", "factory-2"), "factory-1"), "factory-2");

        var closed = RoundDecisions.Close(round, OpenedAt.AddMinutes(1))!;

        closed.Outcome.ShouldBe(RoundOutcome.QuorumReached);
        closed.AcceptedCount.ShouldBe(2);
    }

    [Fact]
    public void At_the_deadline_a_round_with_the_minimum_closes_without_the_silent_gateway()
    {
        var round = Accept(Accept(OpenRound("factory-1", "factory-2", "factory-3"), "factory-1"), "factory-2");

        RoundDecisions.Close(round, OpenedAt.AddMinutes(6))!.Outcome.ShouldBe(RoundOutcome.DeadlinePassed);
    }

    [Fact]
    public void At_the_deadline_a_round_below_the_minimum_is_aborted()
    {
        var round = Accept(OpenRound("factory-1", "factory-2", "factory-3"), "factory-1");

        RoundDecisions.Close(round, OpenedAt.AddMinutes(6))!.Outcome.ShouldBe(RoundOutcome.AbortedBelowQuorum);
    }

    [Fact]
    public void Rejections_are_counted_in_the_round()
    {
        var round = OpenRound("factory-1").Apply(new ContributionRejected(
            1, "factory-1", "key", "sha", RejectionReason.BadSignature, "bad", "{}", "sig", OpenedAt));

        round.RejectedCount.ShouldBe(1);
        round.StreamVersion.ShouldBe(2);
    }
}
