using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Coordination.Enrolment;
using Federation.Coordination.History;
using Federation.Coordination.Rounds;
using Federation.Learning.Tensors;
using Federation.Trust;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests;

/// <summary>Keys over time: enrolment, rotation with overlap, revocation, allowed policies; each refusal with its own reason.</summary>
public sealed partial class RoundCoordinatorTests
{
    private GatewayKeys Keys => services.GetRequiredService<GatewayKeys>();

    private Task OpenRoundForAsync(params TestGateway[] invited) =>
        Coordinator.OpenRoundAsync(
            new RoundPlan { MinParticipants = invited.Length, Duration = TimeSpan.FromHours(1) }, [.. invited.Select(gateway => gateway.Id)], CancellationToken.None);

    private async Task<IReadOnlyList<RejectionReason>> RejectionsAsync() =>
        [.. (await HistoryAsync()).OfType<ContributionRejected>().Select(rejected => rejected.Reason)];

    [Fact]
    public async Task Configured_gateways_are_enrolled_once_as_events_that_name_who_enrolled_them()
    {
        var enrolled = (await HistoryAsync()).OfType<GatewayKeyEnrolled>().ToList();

        enrolled.Select(key => (key.GatewayId, key.KeyId, key.EnrolledBy)).ShouldBe(
            [(first.Id, first.Key.KeyId, GatewayKeys.ConfigurationEnroller), (second.Id, second.Key.KeyId, GatewayKeys.ConfigurationEnroller)]);
        enrolled.ShouldAllBe(key => key.AllowedPolicies.SequenceEqual(new[] { TestGateway.PolicySha256 }));

        // A restart over the same history enrols nothing again.
        await using var restarted = BuildServices();
        await restarted.GetRequiredService<GatewayKeys>().InitializeAsync(CancellationToken.None);
        (await restarted.GetRequiredService<EventHistory>().ReadAllAsync().Select(entry => entry.Event).OfType<GatewayKeyEnrolled>().CountAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task An_operator_enrols_a_new_gateway_whose_contributions_then_count()
    {
        var third = new TestGateway("factory-3");
        await Keys.EnrolAsync(third.Id, Convert.ToBase64String(third.Key.PublicKey.Span), [TestGateway.PolicySha256], "operator-alice", CancellationToken.None);

        await OpenRoundForAsync(third);
        await Coordinator.SubmitAsync(third.Contribute(TestGateway.Update()), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<GatewayKeyEnrolled>().Last().EnrolledBy.ShouldBe("operator-alice");
        history.OfType<ContributionAccepted>().ShouldHaveSingleItem().KeyId.ShouldBe(third.Key.KeyId);
    }

    [Fact]
    public async Task After_a_rotation_the_old_key_counts_until_the_overlap_ends_and_is_then_refused_as_retired()
    {
        var oldKey = first.Key;
        using var newKey = Ed25519KeyPair.Generate();
        await Keys.RotateAsync(first.Id, Convert.ToBase64String(newKey.PublicKey.Span), TimeSpan.FromHours(2), "operator-alice", CancellationToken.None);

        await OpenRoundForAsync(first);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), signWith: oldKey), CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(3));
        var version1 = Coordinator.CurrentModel.Sha256;
        await OpenRoundForAsync(first);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), round: 2, baseModelSha256: version1, signWith: oldKey), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), round: 2, baseModelSha256: version1, signWith: newKey, keyId: newKey.KeyId), CancellationToken.None);

        var history = await HistoryAsync();
        history.OfType<ContributionAccepted>().Select(accepted => accepted.KeyId).ShouldBe([oldKey.KeyId, newKey.KeyId]);
        var retired = history.OfType<ContributionRejected>().ShouldHaveSingleItem();
        retired.Reason.ShouldBe(RejectionReason.RetiredKey);
        retired.Detail.ShouldContain("overlap ended");
    }

    [Fact]
    public async Task A_revoked_key_is_refused_from_then_on_while_what_it_signed_before_stays_in_the_model()
    {
        await OpenRoundForAsync(first);
        await Coordinator.SubmitAsync(first.Contribute(TestGateway.Update()), CancellationToken.None);
        var version1 = (await HistoryAsync()).OfType<ModelVersionPublished>().Last();
        clock.Advance(TimeSpan.FromMinutes(1));
        await Keys.RevokeAsync(first.Id, first.Key.KeyId, "Gateway disk stolen", "operator-alice", CancellationToken.None);

        await OpenRoundForAsync(second);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), round: 2, baseModelSha256: version1.ModelSha256), CancellationToken.None);

        var history = await HistoryAsync();
        var revoked = history.OfType<ContributionRejected>().ShouldHaveSingleItem();
        revoked.Reason.ShouldBe(RejectionReason.RevokedKey);
        version1.Contributions.ShouldHaveSingleItem().KeyId.ShouldBe(first.Key.KeyId);
        history.IndexOf(history.OfType<ContributionAccepted>().Single()).ShouldBeLessThan(history.IndexOf(history.OfType<GatewayKeyRevoked>().Single()));
    }

    [Fact]
    public async Task Unknown_gateways_unknown_keys_forged_signatures_and_unlisted_policies_each_get_their_reason()
    {
        await OpenRoundForAsync(first);
        using var neverEnrolled = Ed25519KeyPair.Generate();
        var otherPolicy = Sha256Hex.Of("another policy"u8.ToArray());

        await Coordinator.SubmitAsync(new TestGateway("factory-9").Contribute(TestGateway.Update()), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), signWith: neverEnrolled, keyId: neverEnrolled.KeyId), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), signWith: second.Key), CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), policySha256: otherPolicy), CancellationToken.None);
        await Keys.AllowPoliciesAsync(first.Id, [TestGateway.PolicySha256, otherPolicy], "operator-alice", CancellationToken.None);
        await Coordinator.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), policySha256: otherPolicy), CancellationToken.None);

        (await RejectionsAsync()).ShouldBe([RejectionReason.UnknownGateway, RejectionReason.UnknownKey, RejectionReason.BadSignature, RejectionReason.PolicyNotAllowed]);
        (await HistoryAsync()).OfType<ContributionAccepted>().ShouldHaveSingleItem().PolicySha256.ShouldBe(otherPolicy);
    }

    [Fact]
    public async Task Enrolment_mistakes_are_refused_with_a_message_and_change_nothing()
    {
        var eventsBefore = (await HistoryAsync()).Count;
        using var fresh = Ed25519KeyPair.Generate();
        var freshKey = Convert.ToBase64String(fresh.PublicKey.Span);

        var again = await Should.ThrowAsync<EnrolmentException>(() => Keys.EnrolAsync(first.Id, freshKey, [TestGateway.PolicySha256], "op", CancellationToken.None));
        var reused = await Should.ThrowAsync<EnrolmentException>(() => Keys.EnrolAsync("factory-7", Convert.ToBase64String(second.Key.PublicKey.Span), [TestGateway.PolicySha256], "op", CancellationToken.None));
        var badKey = await Should.ThrowAsync<EnrolmentException>(() => Keys.EnrolAsync("factory-7", "not base64!", [TestGateway.PolicySha256], "op", CancellationToken.None));
        var noPolicy = await Should.ThrowAsync<EnrolmentException>(() => Keys.EnrolAsync("factory-7", freshKey, [], "op", CancellationToken.None));
        var unknown = await Should.ThrowAsync<EnrolmentException>(() => Keys.RevokeAsync(first.Id, fresh.KeyId, "lost", "op", CancellationToken.None));

        again.Conflict.ShouldBeTrue();
        reused.Message.ShouldContain("already enrolled (for gateway 'factory-2')");
        badKey.Message.ShouldContain("base64 Ed25519 public key");
        noPolicy.Message.ShouldContain("allowed policy");
        unknown.NotFound.ShouldBeTrue();
        (await HistoryAsync()).Count.ShouldBe(eventsBefore);
    }
}
