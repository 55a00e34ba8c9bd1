using System.Text.Json;
using Federation.Contracts.Messages;

namespace Federation.Messaging.Tests;

/// <summary>Messages with a unique marker each, so a test finds its own among the others.</summary>
public static class Samples
{
    public const int Megabyte = 1024 * 1024;

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static RoundAnnounced Round(int round) => new(
        round,
        BaseModelVersion: 7,
        BaseModelSha256: new string('a', 64),
        BaseModel: Bytes(Megabyte, round),
        new TrainingPlan(Epochs: 2, BatchSize: 32, LearningRate: 0.05, Seed: 11, ProximalMu: 0.01),
        Invited: ["factory-1", "factory-2"],
        Deadline: new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));

    public static ModelPublished Model(int version) => new(version, new string('b', 64), Round: 3, Model: Bytes(Megabyte, version));

    public static RoundAnnouncedV2 RoundV2(int round) => new(
        "press-fit",
        round,
        BaseModelVersion: 7,
        BaseModel: new ModelReference(new string('a', 64), 1_073_741_824),
        new TrainingPlan(Epochs: 2, BatchSize: 32, LearningRate: 0.05, Seed: 11, ProximalMu: 0.01),
        Invited: ["factory-1", "factory-2"],
        Deadline: new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));

    public static ModelPublishedV2 ModelV2(int version) => new("press-fit", version, new ModelReference(new string('b', 64), 1_073_741_824), Round: 3);

    public static ContributionSubmitted Contribution(string marker) =>
        new($$"""{"gateway":"factory-1","marker":"{{marker}}"}""", Signature: "c2lnbmF0dXJl", Payload: Bytes(Megabyte, marker.GetHashCode()));

    public static EvaluationReported Evaluation(string marker) =>
        new($$"""{"gateway":"factory-2","marker":"{{marker}}"}""", Signature: "c2lnbmF0dXJl");

    public static int UniqueNumber() => Random.Shared.Next(1_000_000, int.MaxValue);

    /// <summary>Equal as messages: the same JSON, arrays and lists compared by content.</summary>
    public static void ShouldEqualMessage<T>(this T received, T sent) =>
        JsonSerializer.Serialize(received).ShouldBe(JsonSerializer.Serialize(sent));
}
