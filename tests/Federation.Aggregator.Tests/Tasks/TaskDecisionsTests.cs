using Federation.Audit.Tasks;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.Tasks;
using TaskStatus = Federation.Audit.Tasks.TaskStatus;

namespace Federation.Aggregator.Tests.Tasks;

public sealed class TaskDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static readonly TaskRoundPlan Plan = new("fedavg", new Dictionary<string, double>(), 2, 300, 10, new TrainingPlan(1, 32, 0.05, 7, 0));
    private static readonly TaskEvaluationPlan Evaluation = new(["accuracy"], null);

    private static TaskCreatedV2 Create(TaskCatalog catalog, string task = "weld-photos", TaskRoundPlan? plan = null, TaskEvaluationPlan? evaluation = null, int roundCount = 0) =>
        TaskDecisions.Create(catalog, task, " Weld seams ", Sha, 100, ["factory-1", "factory-1", "factory-2"], plan ?? Plan, roundCount, evaluation ?? Evaluation, "operator-alice", Now);

    private static TaskCatalog With(params IFederationEvent[] events) =>
        events.Select((@event, index) => (@event, index)).Aggregate(TaskCatalog.Empty, (catalog, pair) => catalog.Apply(pair.@event, pair.index + 1));

    [Fact]
    public void Creating_a_task_names_the_operator_and_keeps_its_model_hash()
    {
        var created = Create(TaskCatalog.Empty);

        created.Task.ShouldBe("weld-photos");
        created.Description.ShouldBe("Weld seams");
        created.InitialModelSha256.ShouldBe(Sha);
        created.Invited.ShouldBe(["factory-1", "factory-2"]);
        created.CreatedBy.ShouldBe("operator-alice");
        created.CreatedAt.ShouldBe(Now);
    }

    [Theory]
    [InlineData("Weld Photos")]
    [InlineData("../round-1")]
    [InlineData("")]
    public void An_unsafe_task_id_is_refused_with_its_reason(string id) =>
        Should.Throw<TaskRefusedException>(() => Create(TaskCatalog.Empty, id)).Message.ShouldContain("ask id");

    [Fact]
    public void A_task_id_in_use_is_refused() =>
        Should.Throw<TaskRefusedException>(() => Create(With(Create(TaskCatalog.Empty)))).Message.ShouldContain("already exists (created by operator-alice");

    [Fact]
    public void A_plan_out_of_range_is_refused_naming_the_field()
    {
        Should.Throw<TaskRefusedException>(() => Create(TaskCatalog.Empty, plan: Plan with { MinParticipants = 0 })).Message.ShouldContain("minParticipants is 0");
        Should.Throw<TaskRefusedException>(() => Create(TaskCatalog.Empty, plan: Plan with { Training = Plan.Training with { LearningRate = double.NaN } })).Message.ShouldContain("learningRate");
    }

    [Fact]
    public void A_task_keeps_the_round_count_it_was_created_with_and_a_negative_one_is_refused()
    {
        Create(TaskCatalog.Empty, roundCount: 3).RoundCount.ShouldBe(3);
        Create(TaskCatalog.Empty).RoundCount.ShouldBe(0);
        Should.Throw<TaskRefusedException>(() => Create(TaskCatalog.Empty, roundCount: -1)).Message.ShouldContain("rounds is -1");
    }

    [Fact]
    public void A_v1_creation_from_before_round_counts_reads_as_a_task_whose_rounds_open_only_when_asked()
    {
        var v1 = new TaskCreated("press-fit", "Press-fit", Sha, 100, ["factory-2"], Plan, Evaluation, "operator-alice", Now);

        var record = With(v1).Find("press-fit").ShouldNotBeNull();

        record.Created.RoundCount.ShouldBe(0);
        record.Created.ShouldBe(new TaskCreatedV2("press-fit", "Press-fit", Sha, 100, v1.Invited, Plan, 0, Evaluation, "operator-alice", Now));
        Should.Throw<InvalidDataException>(() => With(v1, Create(TaskCatalog.Empty, "press-fit"))).Message.ShouldContain("second time");
    }

    [Fact]
    public void A_release_gate_threshold_without_bounds_is_refused()
    {
        var gate = new ReleaseGate([new GateThreshold("accuracy", null, null, null)], 1);

        Should.Throw<TaskRefusedException>(() => Create(TaskCatalog.Empty, evaluation: Evaluation with { Gate = gate }))
            .Message.ShouldContain("neither a minimum nor a maximum");
    }

    [Fact]
    public void A_task_is_paused_resumed_and_retired_and_the_catalog_follows()
    {
        var catalog = With(Create(TaskCatalog.Empty));
        TaskDecisions.WhyNoRound(catalog, "weld-photos").ShouldBeNull();

        catalog = catalog.Apply(TaskDecisions.Pause(catalog, "weld-photos", "camera recalibration", "operator-bob", Now), 2);
        catalog.Find("weld-photos")!.Status.ShouldBe(TaskStatus.Paused);
        catalog.Find("weld-photos")!.StreamVersion.ShouldBe(2);
        TaskDecisions.WhyNoRound(catalog, "weld-photos")!.ShouldContain("paused (camera recalibration)");

        catalog = catalog.Apply(TaskDecisions.Resume(catalog, "weld-photos", "operator-bob", Now), 3);
        TaskDecisions.WhyNoRound(catalog, "weld-photos").ShouldBeNull();

        catalog = catalog.Apply(TaskDecisions.Retire(catalog, "weld-photos", "replaced", "operator-bob", Now), 4);
        TaskDecisions.WhyNoRound(catalog, "weld-photos")!.ShouldContain("retired (replaced)");
        Should.Throw<TaskRefusedException>(() => TaskDecisions.Pause(catalog, "weld-photos", "again", "operator-bob", Now)).Message.ShouldContain("is retired");
        Should.Throw<TaskRefusedException>(() => TaskDecisions.Retire(catalog, "weld-photos", "again", "operator-bob", Now)).Message.ShouldContain("already retired");
    }

    [Fact]
    public void Pausing_or_retiring_needs_a_reason_and_an_existing_task()
    {
        var catalog = With(Create(TaskCatalog.Empty));

        Should.Throw<TaskRefusedException>(() => TaskDecisions.Pause(catalog, "weld-photos", " ", "operator-bob", Now)).Message.ShouldContain("reason is required");
        Should.Throw<TaskRefusedException>(() => TaskDecisions.Retire(catalog, "press-fit", "done", "operator-bob", Now)).Message.ShouldContain("'press-fit' does not exist");
        Should.Throw<TaskRefusedException>(() => TaskDecisions.Resume(catalog, "weld-photos", "operator-bob", Now)).Message.ShouldContain("only a paused task");
    }

    [Fact]
    public void A_history_that_names_an_uncreated_task_does_not_fold() =>
        Should.Throw<InvalidDataException>(() => TaskCatalog.Empty.Apply(new TaskPaused("ghost", "x", "operator-bob", Now), 1)).Message.ShouldContain("'ghost'");
}
