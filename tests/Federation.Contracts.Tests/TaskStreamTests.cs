using Federation.Contracts.Events;
using Federation.Contracts.Tasks;

namespace Federation.Contracts.Tests;

public sealed class TaskStreamTests
{
    [Theory]
    [InlineData("weld-photos")]
    [InlineData("a")]
    [InlineData("press-fit-2")]
    [InlineData("0")]
    public void Safe_task_ids_are_accepted(string id)
    {
        TaskIds.IsSafe(id).ShouldBeTrue();
        TaskIds.Problem(id).ShouldBeNull();
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("Weld", "not a safe name")]
    [InlineData("-weld", "not a safe name")]
    [InlineData("weld-", "not a safe name")]
    [InlineData("weld/photos", "not a safe name")]
    [InlineData("../etc", "not a safe name")]
    [InlineData("weld photos", "not a safe name")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "64 characters")]
    public void Unsafe_task_ids_are_refused_with_a_reason(string id, string reason)
    {
        TaskIds.IsSafe(id).ShouldBeFalse();
        TaskIds.Problem(id)!.ShouldContain(reason);
    }

    [Fact]
    public void A_task_has_its_own_streams()
    {
        EventStreams.Task("weld-photos").ShouldBe("task-weld-photos");
        EventStreams.Round("weld-photos", 3).ShouldBe("task-weld-photos/round-3");
        EventStreams.Models("weld-photos").ShouldBe("task-weld-photos/models");
        EventStreams.Evaluations("weld-photos").ShouldBe("task-weld-photos/evaluations");
        EventStreams.Releases("weld-photos").ShouldBe("task-weld-photos/releases");
    }

    [Fact]
    public void The_default_task_keeps_the_stream_names_of_a_history_from_before_tasks()
    {
        EventStreams.Round(TaskIds.Default, 3).ShouldBe("round-3");
        EventStreams.Models(TaskIds.Default).ShouldBe("models");
        EventStreams.Evaluations(TaskIds.Default).ShouldBe("evaluations");
        EventStreams.Task(TaskIds.Default).ShouldBe("task-default");
    }

    [Theory]
    [InlineData("task-weld-photos", "weld-photos", null)]
    [InlineData("task-weld-photos/round-12", "weld-photos", 12)]
    [InlineData("task-weld-photos/models", "weld-photos", null)]
    [InlineData("round-7", TaskIds.Default, 7)]
    [InlineData("models", TaskIds.Default, null)]
    [InlineData("evaluations", TaskIds.Default, null)]
    [InlineData("gateway-factory-1", null, null)]
    [InlineData("unattributed-contributions", null, null)]
    [InlineData("round-x", null, null)]
    [InlineData("round-0", null, null)]
    public void A_stream_names_its_task_and_round(string streamId, string? task, int? round)
    {
        EventStreams.TaskOf(streamId).ShouldBe(task);
        EventStreams.RoundOf(streamId).ShouldBe(round);
    }
}
