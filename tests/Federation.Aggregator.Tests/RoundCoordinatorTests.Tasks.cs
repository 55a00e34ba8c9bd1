using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Rounds;
using Federation.Coordination.Tasks;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests;

/// <summary>Rounds of several tasks at once, each in its own streams.</summary>
public sealed partial class RoundCoordinatorTests
{
    private static readonly TaskRoundPlan PressFitPlan = new("fedavg", new Dictionary<string, double>(), 1, 300, null, new TrainingPlan(1, 16, 0.05, 3, 0));

    private TaskRounds Rounds => services.GetRequiredService<TaskRounds>();

    /// <summary>A layout the configured job does not have: the task's own model, made outside the built-in specs' use here.</summary>
    private static readonly TensorSet PressFitModel = ModelSpec.LogisticRegression(6, 2).Initialize(9);

    private async Task<RoundCoordinator> CreatePressFitAsync(int roundCount = 0)
    {
        await services.GetRequiredService<TaskRegistry>().CreateAsync(
            new TaskCreation("press-fit", "Press-fit anomalies", "press-fit.safetensors", SafeTensors.Write(PressFitModel), [second.Id], PressFitPlan, new TaskEvaluationPlan([], null), roundCount),
            "operator-test", CancellationToken.None);
        return (await Rounds.FindAsync("press-fit", CancellationToken.None))!;
    }

    /// <summary>Moves the clock on one scheduler tick at a time until <paramref name="condition"/> holds.</summary>
    private async Task TickUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException($"Timed out waiting for {what}.");
            }

            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }
    }

    private static TensorSet UpdateOf(TensorSet model, float value) =>
        new(model.Select(tensor => new Tensor(tensor.Name, tensor.Shape, Enumerable.Repeat(value, tensor.Values.Length).ToArray())));

    [Fact]
    public async Task Two_tasks_run_overlapping_rounds_each_in_its_own_streams_and_lineage()
    {
        var pressFit = await CreatePressFitAsync();
        var baseSha256 = pressFit.CurrentModel.Sha256;

        (await Coordinator.OpenRoundAsync(new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) }, [first.Id], CancellationToken.None)).ShouldNotBeNull();
        var opened = await pressFit.OpenRoundAsync(RoundPlan.FromTaskPlan(PressFitPlan), [second.Id], CancellationToken.None);
        opened.ShouldNotBeNull().Round.ShouldBe(1);

        // The press-fit round closes and publishes while the default task's round 1 is still open.
        await Rounds.SubmitAsync(second.Contribute(SafeTensors.Write(UpdateOf(PressFitModel, 0.5f)), baseModelSha256: baseSha256, task: "press-fit"), Guid.NewGuid(), CancellationToken.None);
        pressFit.CurrentModel.Version.ShouldBe(1);
        Coordinator.LatestRound.ShouldNotBeNull().IsOpen.ShouldBeTrue();
        Coordinator.CurrentModel.Version.ShouldBe(0);

        await Rounds.SubmitAsync(first.Contribute(TestGateway.Update()), Guid.NewGuid(), CancellationToken.None);
        Coordinator.CurrentModel.Version.ShouldBe(1);

        var streams = await services.GetRequiredService<EventHistory>().ReadAllAsync()
            .Select(entry => (entry.Recorded.StreamId, Type: entry.Event.GetType().Name)).ToListAsync();
        streams.Where(pair => pair.StreamId == "task-press-fit/round-1").Select(pair => pair.Type)
            .ShouldBe([nameof(RoundOpened), nameof(ContributionAccepted), nameof(RoundClosed)]);
        streams.Where(pair => pair.StreamId == "round-1").Select(pair => pair.Type)
            .ShouldBe([nameof(RoundOpened), nameof(ContributionAccepted), nameof(RoundClosed)]);
        streams.Count(pair => pair.StreamId == "task-press-fit/models").ShouldBe(2);
        streams.Count(pair => pair.StreamId == "models").ShouldBe(2);

        // Each lineage keeps its own layout: the press-fit model is 6 x 2, the configured job's 4 x 3.
        pressFit.CurrentModel.Layout.Tensors.Sum(tensor => tensor.Shape.Aggregate(1, (product, size) => product * size)).ShouldBe(6 * 2 + 2);
        Coordinator.CurrentModel.Layout.Tensors.Sum(tensor => tensor.Shape.Aggregate(1, (product, size) => product * size)).ShouldBe(4 * 3 + 3);
    }

    [Fact]
    public async Task A_task_created_with_two_rounds_runs_them_one_after_another_by_itself_and_then_stops()
    {
        var pressFit = await CreatePressFitAsync(roundCount: 2);
        var progress = services.GetRequiredService<FederationProgress>();

        for (var round = 1; round <= 2; round++)
        {
            await TickUntilAsync(() => pressFit.LatestRound is { IsOpen: true } open && open.Round == round, $"round {round} of press-fit to open by itself");
            progress.TaskPlanCompleted("press-fit").IsCompleted.ShouldBeFalse();
            pressFit.LatestRound!.Opened.Invited.ShouldBe([second.Id]);
            await Rounds.SubmitAsync(
                second.Contribute(SafeTensors.Write(UpdateOf(PressFitModel, 0.5f)), round: round, baseModelSha256: pressFit.CurrentModel.Sha256, task: "press-fit"),
                Guid.NewGuid(), CancellationToken.None);
            pressFit.CurrentModel.Version.ShouldBe(round);
        }

        await TickUntilAsync(() => progress.TaskPlanCompleted("press-fit").IsCompleted, "press-fit's two rounds to be done");
        pressFit.RoundsClosed.ShouldBe(2);
        pressFit.LatestRound!.IsOpen.ShouldBeFalse();
        // The configured job's count is 0 here: its rounds still open only when asked.
        Coordinator.LatestRound.ShouldBeNull();
        var opened = (await HistoryAsync()).OfType<RoundOpened>().ToList();
        opened.Select(round => (round.Round, round.BaseModelVersion)).ShouldBe([(1, 0), (2, 1)]);
    }

    [Fact]
    public async Task A_contribution_naming_a_task_the_aggregator_lacks_is_rejected_where_strays_are_kept()
    {
        await Coordinator.OpenRoundAsync(new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) }, [first.Id], CancellationToken.None);

        await Rounds.SubmitAsync(first.Contribute(SafeTensors.Write(TestGateway.Update()), task: "weld-photos"), Guid.NewGuid(), CancellationToken.None);

        var stray = await services.GetRequiredService<EventHistory>().ReadStreamAsync(EventStreams.Unattributed).Select(entry => entry.Event).SingleAsync();
        var rejected = stray.ShouldBeOfType<ContributionRejected>();
        rejected.Reason.ShouldBe(RejectionReason.UnknownTask);
        rejected.Detail.ShouldContain("'weld-photos'");
        Coordinator.LatestRound!.Accepted.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_contribution_for_one_task_never_counts_in_another_tasks_round()
    {
        var pressFit = await CreatePressFitAsync();
        await Coordinator.OpenRoundAsync(new RoundPlan { MinParticipants = 1, Duration = TimeSpan.FromMinutes(5) }, [first.Id, second.Id], CancellationToken.None);
        await pressFit.OpenRoundAsync(RoundPlan.FromTaskPlan(PressFitPlan), [second.Id], CancellationToken.None);

        // Signed for the default task's round 1: the press-fit coordinator, asked directly, refuses it as another task's.
        await pressFit.SubmitAsync(second.Contribute(TestGateway.Update()), CancellationToken.None);

        pressFit.LatestRound!.Accepted.ShouldBeEmpty();
        Coordinator.LatestRound!.Accepted.ShouldBeEmpty();
        (await HistoryAsync()).OfType<ContributionRejected>().Single().Reason.ShouldBe(RejectionReason.UnknownTask);
    }
}
