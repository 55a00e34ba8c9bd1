using System.Text;
using Federation.Audit.Transparency;
using Federation.Coordination.Transparency;
using Federation.EventStore;
using Federation.Trust.Transparency;

namespace Federation.Aggregator.Tests;

/// <summary>docs/FORMATS.md section 9, checked against values an auditor computed without our code.</summary>
public sealed class EventLeafTests
{
    private const string Data =
        """{"baseModelVersion":null,"contributions":[],"modelBytes":168,"modelSha256":"0000000000000000000000000000000000000000000000000000000000000000","publishedAt":"2026-11-22T09:00:00+00:00","round":null,"strategy":"initial","strategyParameters":{},"strategyStateSha256":null,"version":0}""";

    private static RecordedEvent Example() => new(
        1, "models", 1, Guid.Parse("0193a5f0-0000-7000-8000-000000000001"), "federation.model-version-published.v1", Data,
        EventMetadata.Empty, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero).AddTicks(1234567));

    // Computed in Python from the layout in FORMATS section 9 alone: json.dumps(leaf, sort_keys=True,
    // separators=(",", ":")) (RFC 8785 for ASCII strings, integers and nulls), then SHA-256(0x00 ‖ bytes).
    [Fact]
    public void The_leaf_of_an_event_is_the_documented_canonical_json_and_hash()
    {
        var bytes = EventLeaf.Bytes(Example());

        Encoding.UTF8.GetString(bytes).ShouldBe(
            """{"data":""" + Data + ""","eventId":"0193a5f0-0000-7000-8000-000000000001","metadata":{"causationId":null,"correlationId":null,"headers":{}},"position":1,"streamId":"models","streamVersion":1,"timestamp":"2026-11-22T09:00:00.1234567Z","type":"federation.model-version-published.v1"}""");
        Convert.ToHexStringLower(MerkleHash.Leaf(bytes)).ShouldBe("d2aedaa56c5b8baaab92e6182790feeb6c2efae6fc684c50bc71e5a928bf753c");
    }

    [Fact]
    public void Any_stored_field_changes_the_leaf()
    {
        var original = Convert.ToHexStringLower(MerkleHash.Leaf(EventLeaf.Bytes(Example())));

        foreach (var changed in new[]
        {
            Example() with { Position = 2 },
            Example() with { StreamVersion = 2 },
            Example() with { Type = "federation.round-opened.v1" },
            Example() with { Timestamp = Example().Timestamp.AddTicks(1) },
            Example() with { Data = Data.Replace("\"modelBytes\":168", "\"modelBytes\":169") },
        })
        {
            Convert.ToHexStringLower(MerkleHash.Leaf(EventLeaf.Bytes(changed))).ShouldNotBe(original);
        }
    }
}
