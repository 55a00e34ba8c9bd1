using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Federation.Audit.History;
using Federation.Audit.Tasks;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Learning.Tensors;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests.Api;

public sealed class TasksApiTests : IClassFixture<AggregatorApiFactory>
{
    private readonly AggregatorApiFactory factory;

    public TasksApiTests(AggregatorApiFactory factory) => this.factory = factory;

    private HttpClient Operator => factory.ClientWith(AggregatorApiFactory.OperatorToken);

    private EventHistory History => factory.Services.GetRequiredService<EventHistory>();

    // A model team's own network: names and shapes the built-in specs never make, in F16.
    private static byte[] OwnModelF16()
    {
        var header = """{"conv1.weight":{"dtype":"F16","shape":[2,1,1,1],"data_offsets":[0,4]},"head.bias":{"dtype":"F16","shape":[1],"data_offsets":[4,6]}}"""u8.ToArray();
        return [.. BitConverter.GetBytes((long)header.Length), .. header, 0x00, 0x3E, 0x00, 0xC0, 0x00, 0x3C];
    }

    private static MultipartFormDataContent Form(object request, byte[]? model, string fileName = "init.safetensors")
    {
        var form = new MultipartFormDataContent { { JsonContent.Create(request, options: ApiJson.Options), "request" } };
        if (model is not null)
        {
            form.Add(new ByteArrayContent(model), "model", fileName);
        }

        return form;
    }

    private async Task<bool> StreamExistsAsync(string stream) => await History.ReadStreamAsync(stream).AnyAsync();

    [Fact]
    public async Task The_configured_job_is_task_default_created_by_the_settings_and_named_by_its_version_zero()
    {
        var tasks = await Operator.GetFromJsonAsync<List<TaskSummary>>("/api/tasks", ApiJson.Options);
        var versionZero = await History.ReadStreamAsync(EventStreams.Models("default")).Select(entry => entry.Event).OfType<ModelVersionPublished>().FirstAsync();

        var configured = tasks!.Where(task => task.Created.Task == "default").ShouldHaveSingleItem();
        configured.Created.CreatedBy.ShouldBe("aggregator-settings");
        configured.Created.InitialModelSha256.ShouldBe(versionZero.ModelSha256);
        configured.Status.ShouldBe("Active");
    }

    [Fact]
    public async Task An_operator_creates_a_task_from_their_own_f16_model_which_becomes_a_canonical_f32_version_zero()
    {
        var file = OwnModelF16();
        var response = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("weld-photos", "Weld seam inspector", new OpenRoundRequest(Strategy: "fedmedian", MinParticipants: 1)), file));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var summary = await Operator.GetFromJsonAsync<TaskSummary>("/api/tasks/weld-photos", ApiJson.Options);
        summary!.Created.CreatedBy.ShouldBe("model-team");
        summary.Created.InitialModelSha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(file)));
        summary.Created.RoundPlan.Strategy.ShouldBe("fedmedian");
        summary.LatestModelVersion.ShouldBe(0);

        var versionZero = await History.ReadStreamAsync(EventStreams.Models("weld-photos")).Select(entry => entry.Event).OfType<ModelVersionPublished>().SingleAsync();
        var canonical = InitialModel.ToVersionZero("init.safetensors", file);
        versionZero.ModelSha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(canonical)));
        SafeTensors.ReadDTypes(canonical).Values.ShouldAllBe(dtype => dtype == "F32");
        var stored = await Operator.GetAsync("/api/payloads/" + versionZero.ModelSha256);
        stored.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_task_created_with_a_round_count_shows_it_and_opens_its_first_round_by_itself()
    {
        var response = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("scheduled", "Runs by itself", Rounds: 2), OwnModelF16()));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var summary = await Operator.GetFromJsonAsync<TaskSummary>("/api/tasks/scheduled", ApiJson.Options);
        summary!.RoundCount.ShouldBe(2);
        summary.Created.RoundCount.ShouldBe(2);
        (await History.ReadStreamAsync(EventStreams.Task("scheduled")).Select(entry => entry.Recorded.Type).FirstAsync()).ShouldBe("federation.task-created.v2");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await StreamExistsAsync(EventStreams.Round("scheduled", 1)))
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the scheduler did not open round 1 of the task by itself");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_create_request_without_a_round_count_makes_a_task_whose_rounds_open_only_when_asked()
    {
        using var form = new MultipartFormDataContent
        {
            // A request as clients sent it before round counts: no "rounds" member.
            { new StringContent("""{"task":"on-request","description":"asked for"}""", System.Text.Encoding.UTF8, "application/json"), "request" },
            { new ByteArrayContent(OwnModelF16()), "model", "init.safetensors" },
        };
        var response = await Operator.PostAsync("/api/tasks", form);
        var negative = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("negative", "x", Rounds: -1), OwnModelF16()));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var summary = await Operator.GetFromJsonAsync<TaskSummary>("/api/tasks/on-request", ApiJson.Options);
        summary!.RoundCount.ShouldBe(0);
        summary.RoundsRun.ShouldBe(0);
        negative.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await negative.Content.ReadAsStringAsync()).ShouldContain("rounds is -1");
        (await StreamExistsAsync(EventStreams.Task("negative"))).ShouldBeFalse();
    }

    [Theory]
    [InlineData("Weld Photos", "not a safe name")]
    [InlineData("../etc", "not a safe name")]
    public async Task An_unsafe_task_id_is_refused_naming_it_and_nothing_is_recorded(string id, string message)
    {
        var response = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest(id, "x"), OwnModelF16()));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(message);
    }

    [Fact]
    public async Task A_malformed_initial_model_is_refused_naming_the_file_and_nothing_is_recorded()
    {
        var response = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("press-fit-bad", "x"), "not a model"u8.ToArray(), "broken.safetensors"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("broken.safetensors");
        (await StreamExistsAsync(EventStreams.Task("press-fit-bad"))).ShouldBeFalse();
        (await StreamExistsAsync(EventStreams.Models("press-fit-bad"))).ShouldBeFalse();
    }

    [Fact]
    public async Task A_form_without_a_model_or_a_taken_id_is_refused_with_the_reason()
    {
        var noModel = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("no-model", "x"), null));
        var taken = await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("default", "x"), OwnModelF16()));

        noModel.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noModel.Content.ReadAsStringAsync()).ShouldContain("no part 'model'");
        taken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await taken.Content.ReadAsStringAsync()).ShouldContain("already exists");
    }

    [Fact]
    public async Task Pausing_needs_a_reason_and_pause_resume_retire_are_events_naming_the_operator()
    {
        (await Operator.PostAsync("/api/tasks", Form(new CreateTaskRequest("press-fit", "Press-fit anomaly detector"), OwnModelF16()))).EnsureSuccessStatusCode();

        var unexplained = await Operator.PostAsJsonAsync("/api/tasks/press-fit/pause", new TaskChangeRequest());
        (await Operator.PostAsJsonAsync("/api/tasks/press-fit/pause", new TaskChangeRequest("line 3 retooling"))).EnsureSuccessStatusCode();
        var paused = await Operator.GetFromJsonAsync<TaskSummary>("/api/tasks/press-fit", ApiJson.Options);
        (await Operator.PostAsJsonAsync("/api/tasks/press-fit/resume", new { })).EnsureSuccessStatusCode();
        (await Operator.PostAsJsonAsync("/api/tasks/press-fit/retire", new TaskChangeRequest("replaced by press-fit-v2"))).EnsureSuccessStatusCode();
        var retiredAgain = await Operator.PostAsJsonAsync("/api/tasks/press-fit/retire", new TaskChangeRequest("again"));

        unexplained.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        paused!.Status.ShouldBe("Paused");
        paused.StatusReason.ShouldBe("line 3 retooling");
        retiredAgain.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var lifecycle = await History.ReadStreamAsync(EventStreams.Task("press-fit")).Select(entry => entry.Event).ToListAsync();
        lifecycle.Select(e => e.GetType().Name).ShouldBe(["TaskCreatedV2", "TaskPaused", "TaskResumed", "TaskRetired"]);
        lifecycle.OfType<TaskPaused>().Single().PausedBy.ShouldBe("model-team");
    }

    [Fact]
    public async Task The_auditor_reads_tasks_but_cannot_create_or_pause_one()
    {
        var auditor = factory.ClientWith(AggregatorApiFactory.AuditorToken);

        (await auditor.GetAsync("/api/tasks")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await auditor.PostAsync("/api/tasks", Form(new CreateTaskRequest("audited", "x"), OwnModelF16()))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.PostAsJsonAsync("/api/tasks/default/pause", new TaskChangeRequest("no"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.GetAsync("/api/tasks/no-such-task")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
