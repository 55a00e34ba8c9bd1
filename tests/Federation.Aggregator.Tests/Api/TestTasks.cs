using System.Net.Http.Json;
using Federation.Audit.History;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Tasks;

namespace Federation.Aggregator.Tests.Api;

/// <summary>Creates tasks through the real API, as a model team would.</summary>
internal static class TestTasks
{
    // A model team's own network in F16: names and shapes the built-in specs never make.
    public static byte[] OwnModelF16()
    {
        var header = """{"conv1.weight":{"dtype":"F16","shape":[2,1,1,1],"data_offsets":[0,4]},"head.bias":{"dtype":"F16","shape":[1],"data_offsets":[4,6]}}"""u8.ToArray();
        return [.. BitConverter.GetBytes((long)header.Length), .. header, 0x00, 0x3E, 0x00, 0xC0, 0x00, 0x3C];
    }

    /// <summary>Creates <paramref name="task"/> with <paramref name="gate"/> and returns its version 0.</summary>
    public static async Task<ModelVersionPublished> CreateAsync(HttpClient operatorClient, EventHistory history, string task, ReleaseGate? gate)
    {
        using var form = new MultipartFormDataContent
        {
            { JsonContent.Create(new CreateTaskRequest(task, "test task", Metrics: ["accuracy"], Gate: gate), options: ApiJson.Options), "request" },
            { new ByteArrayContent(OwnModelF16()), "model", "init.safetensors" },
        };
        var response = await operatorClient.PostAsync("/api/tasks", form);
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
        return await history.ReadStreamAsync(EventStreams.Models(task)).Select(entry => entry.Event).OfType<ModelVersionPublished>().SingleAsync();
    }
}
