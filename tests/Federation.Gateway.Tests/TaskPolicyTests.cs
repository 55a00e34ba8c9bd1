using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.Contributions;
using Federation.Site.Evaluation;
using Federation.Site.State;
using Microsoft.Data.Sqlite;

namespace Federation.Gateway.Tests;

/// <summary>A gateway takes part only in the tasks its policy names, each under its own rules and budget.</summary>
public sealed class TaskPolicyTests : IDisposable
{
    private readonly Site site = new();

    public void Dispose() => site.Dispose();

    [Fact]
    public void A_round_of_a_task_the_policy_does_not_name_is_refused_and_recorded_without_training()
    {
        var node = site.Node();

        var result = node.Contribute(Site.Round(1), "press-fit");

        result.Allowed.ShouldBeFalse();
        result.Reason.ShouldNotBeNull().ShouldStartWith("policy site-test v1 does not take part in task 'press-fit' (it names 'default')");
        var decision = node.State.Decisions().ShouldHaveSingleItem();
        decision.Allowed.ShouldBeFalse();
        decision.Kind.ShouldBe("model-update");
        decision.Reason.ShouldBe(result.Reason);
        // Only the task check: the trainer was never asked to prepare (its local-training check would come first).
        decision.Checks.ShouldHaveSingleItem().Name.ShouldBe(PolicyChecks.TaskNamed);
        node.State.OutboxHistory().ShouldBeEmpty();
        node.State.PrivacyLedger().Releases.ShouldBeEmpty();
        node.State.LastCompleted(GatewayState.RoundsLedgerOf("press-fit")).ShouldBe(1, "the refusal decides the task's round 1");
        node.State.LastCompleted(GatewayState.RoundsLedger).ShouldBe(-1, "task default's round 1 is still undecided");
    }

    [Fact]
    public void An_evaluation_of_a_task_the_policy_does_not_name_is_refused_and_recorded()
    {
        var node = site.Node();
        var bytes = SafeTensors.Write(Site.BaseModel);

        var result = node.Evaluate(new ModelPublished(1, Trust.Sha256Hex.Of(bytes), 1, bytes), "press-fit");

        result.Allowed.ShouldBeFalse();
        var decision = node.State.Decisions(deniedOnly: true).ShouldHaveSingleItem();
        decision.Kind.ShouldBe("evaluation-metrics");
        decision.Reason.ShouldNotBeNull().ShouldContain("does not take part in task 'press-fit'");
        node.State.OutboxHistory().ShouldBeEmpty();
    }

    [Fact]
    public void A_named_task_is_trained_and_its_privacy_charge_is_recorded_with_its_task()
    {
        var node = site.Node(Site.PolicyWithPressFit());
        node.Policy.Policy.Tasks.Keys.ShouldBe([TaskIds.Default, "press-fit"]);

        var result = node.Contribute(Site.Round(1), "press-fit");

        result.Allowed.ShouldBeTrue(result.Reason);
        node.State.PrivacyLedger().Releases.ShouldHaveSingleItem().Task.ShouldBe("press-fit");
        node.State.Decisions().Single().Checks.Single(check => check.Name == PolicyChecks.PrivacyBudget).Detail.ShouldContain("of task 'press-fit'");
    }

    [Fact]
    public void Releases_recorded_before_tasks_existed_belong_to_task_default()
    {
        var node = site.Node();
        node.Contribute(Site.Round(1)).Allowed.ShouldBeTrue();
        using (var connection = new SqliteConnection($"Data Source={node.State.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE privacy_releases DROP COLUMN task";
            command.ExecuteNonQuery();
        }

        var reopened = GatewayState.Open(site.StateDirectory);

        reopened.PrivacyLedger().Releases.ShouldHaveSingleItem().Task.ShouldBe(TaskIds.Default);
    }
}
