using Federation.Contracts.Tasks;
using Federation.Audit.Contributions;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Coordination.Models;
using Federation.Coordination.Rounds;
using Federation.EventStore;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>The admission decision alone: state, registry, facts and time in, the event to append out.</summary>
public sealed class ContributionAdmissionTests
{
    private static readonly DateTimeOffset Now = TestGateway.SignedAt.AddMinutes(1);
    private static readonly ModelVersion BaseModel = new(0, TestGateway.BaseModelSha256, SafeTensorsLayout.Of(TestGateway.BaseModel));

    private readonly TestGateway first = new("factory-1");
    private readonly TestGateway second = new("factory-2");

    private GatewayRegistry Registry => TestGateway.Enrol(first, second);

    /// <summary>Round <paramref name="round"/> open on the base model, inviting both gateways, after earlier rounds closed.</summary>
    private CoordinatorState Open(int round = 1)
    {
        var state = CoordinatorState.Empty(TaskIds.Default) with { Model = BaseModel };
        for (var number = 1; number <= round; number++)
        {
            var opened = RoundDecisions.Open(number, BaseModel, new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) }, [first.Id, second.Id], TestGateway.SignedAt);
            state = state.Apply(EventStreams.Round(TaskIds.Default, number), 1, opened, null);
            if (number < round)
            {
                state = state.Apply(EventStreams.Round(TaskIds.Default, number), 2, RoundDecisions.Abort(state.Round!, TestGateway.SignedAt), null);
            }
        }

        return state;
    }

    private ContributionFacts Facts(ContributionSubmitted message, GatewayRegistry? registry = null) =>
        ContributionChecks.ExaminePayload(ContributionChecks.Authenticate(message, registry ?? Registry), null);

    private static ContributionRejected Rejected(Admission? admission) => admission!.Event.ShouldBeOfType<ContributionRejected>();

    [Fact]
    public void An_honest_contribution_is_accepted_into_its_rounds_stream_at_the_version_decided_on()
    {
        var state = Open();
        var message = first.Contribute(TestGateway.Update(), samples: 250);

        var admission = ContributionAdmission.Decide(state, Registry, Facts(message), null, Now)!;

        admission.StreamId.ShouldBe(EventStreams.Round(TaskIds.Default, 1));
        admission.ExpectedVersion.ShouldBe(state.Round!.StreamVersion);
        admission.Rejection.ShouldBeNull();
        var accepted = admission.Event.ShouldBeOfType<ContributionAccepted>();
        (accepted.GatewayId, accepted.KeyId, accepted.SampleCount, accepted.ReceivedAt).ShouldBe((first.Id, first.Key.KeyId, 250L, Now));
        accepted.PayloadSha256.ShouldBe(Sha256Hex.Of(message.Payload));
        (accepted.Manifest, accepted.Signature).ShouldBe((message.Manifest, message.Signature));
    }

    [Fact]
    public void A_redelivered_message_that_was_accepted_records_nothing()
    {
        var messageId = Guid.NewGuid();
        var message = first.Contribute(TestGateway.Update());
        var state = Open();
        var admission = ContributionAdmission.Decide(state, Registry, Facts(message), messageId, Now)!;
        state = state.Apply(admission.StreamId, 2, admission.Event, messageId);

        ContributionAdmission.Decide(state, Registry, Facts(message), messageId, Now).ShouldBeNull();
        Rejected(ContributionAdmission.Decide(state, Registry, Facts(message), Guid.NewGuid(), Now)).Reason.ShouldBe(RejectionReason.Replay);
    }

    [Fact]
    public void An_unreadable_manifest_is_rejected_into_the_unattributed_stream_at_any_version()
    {
        var admission = ContributionAdmission.Decide(Open(), Registry, Facts(first.Contribute(TestGateway.Update()) with { Manifest = "{}" }), null, Now);

        admission!.StreamId.ShouldBe(EventStreams.Unattributed);
        admission.ExpectedVersion.ShouldBe(ExpectedVersion.Any);
        Rejected(admission).Reason.ShouldBe(RejectionReason.MalformedManifest);
        Rejected(admission).Round.ShouldBeNull();
    }

    [Fact]
    public void A_key_revoked_after_the_signature_was_verified_is_judged_at_the_decision()
    {
        var facts = Facts(first.Contribute(TestGateway.Update()));
        var revoked = Registry.Apply(new GatewayKeyRevoked(first.Id, first.Key.KeyId, "disk stolen", "operator", Now.AddSeconds(-1)));

        var admission = ContributionAdmission.Decide(Open(), revoked, facts, null, Now);

        facts.Signature.ShouldBeNull();
        admission!.StreamId.ShouldBe(EventStreams.Round(TaskIds.Default, 1));
        Rejected(admission).Reason.ShouldBe(RejectionReason.RevokedKey);
    }

    [Fact]
    public void A_key_enrolled_only_after_the_contribution_arrived_is_refused_as_unknown_then()
    {
        var third = new TestGateway("factory-3");
        var facts = Facts(third.Contribute(TestGateway.Update()));

        var admission = ContributionAdmission.Decide(Open(), TestGateway.Enrol(first, second, third), facts, null, Now);

        Rejected(admission).Reason.ShouldBe(RejectionReason.UnknownKey);
        Rejected(admission).Detail.ShouldContain("when the contribution arrived");
        facts.PayloadExamined.ShouldBeFalse();
    }

    [Fact]
    public void Unknown_gateways_forged_signatures_and_unlisted_policies_each_get_their_reason()
    {
        using var forger = Ed25519KeyPair.Generate();
        var payload = SafeTensors.Write(TestGateway.Update());

        RejectionReason ReasonFor(ContributionSubmitted message) => Rejected(ContributionAdmission.Decide(Open(), Registry, Facts(message), null, Now)).Reason;

        ReasonFor(new TestGateway("factory-9").Contribute(TestGateway.Update())).ShouldBe(RejectionReason.UnknownGateway);
        ReasonFor(first.Contribute(payload, signWith: forger)).ShouldBe(RejectionReason.BadSignature);
        ReasonFor(first.Contribute(payload, policySha256: Sha256Hex.Of("another policy"u8.ToArray()))).ShouldBe(RejectionReason.PolicyNotAllowed);
        ReasonFor(first.Contribute(payload[..30])).ShouldBe(RejectionReason.MalformedPayload);
    }

    [Fact]
    public void An_older_sequence_number_is_a_replay_whatever_the_round()
    {
        var state = Open() with { HighestSequences = Open().HighestSequences.SetItem(first.Id, 5) };

        var rejected = Rejected(ContributionAdmission.Decide(state, Registry, Facts(first.Contribute(SafeTensors.Write(TestGateway.Update()), sequence: 5)), null, Now));

        rejected.Reason.ShouldBe(RejectionReason.Replay);
        rejected.Detail.ShouldContain("not above 5");
    }

    [Fact]
    public void A_sample_count_above_the_limit_is_rejected()
    {
        var message = first.Contribute(TestGateway.Update(), samples: ContributionAdmission.MaxSampleCount + 1);

        Rejected(ContributionAdmission.Decide(Open(), Registry, Facts(message), null, Now)).Reason.ShouldBe(RejectionReason.InvalidSampleCount);
    }

    [Fact]
    public void Contributions_for_rounds_that_do_not_exist_or_are_over_go_to_the_unattributed_stream()
    {
        var state = Open(round: 2);
        var payload = SafeTensors.Write(TestGateway.Update());

        var unknown = ContributionAdmission.Decide(state, Registry, Facts(first.Contribute(payload, round: 3)), null, Now)!;
        var over = ContributionAdmission.Decide(state, Registry, Facts(first.Contribute(payload, round: 1)), null, Now)!;

        (unknown.StreamId, Rejected(unknown).Reason).ShouldBe((EventStreams.Unattributed, RejectionReason.UnknownRound));
        (over.StreamId, Rejected(over).Reason).ShouldBe((EventStreams.Unattributed, RejectionReason.RoundNotOpen));
    }

    [Fact]
    public void After_the_deadline_a_contribution_is_rejected_as_late_in_its_rounds_stream()
    {
        var admission = ContributionAdmission.Decide(Open(), Registry, Facts(first.Contribute(TestGateway.Update())), null, Now.AddMinutes(10))!;

        admission.StreamId.ShouldBe(EventStreams.Round(TaskIds.Default, 1));
        Rejected(admission).Reason.ShouldBe(RejectionReason.Late);
    }

    [Fact]
    public void Facts_whose_payload_was_never_examined_are_not_decided_on()
    {
        var authenticated = ContributionChecks.Authenticate(first.Contribute(TestGateway.Update()), Registry);

        Should.Throw<InvalidOperationException>(() => ContributionAdmission.Decide(Open(), Registry, authenticated, null, Now));
    }
}
