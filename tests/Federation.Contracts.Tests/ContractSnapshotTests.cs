using System.Text.Json;
using Federation.Contracts.Events;

namespace Federation.Contracts.Tests;

/// <summary>
/// A shipped contract never changes shape: each one's JSON is pinned in approved/. A failure
/// here means a wire message or stored event changed; add a …V2 contract instead of editing it.
/// </summary>
public sealed class ContractSnapshotTests
{
    public static TheoryData<string> ContractNames() => [.. ContractSamples.All().Select(sample => sample.GetType().Name)];

    [Theory]
    [MemberData(nameof(ContractNames))]
    public void Contract_json_matches_its_approved_snapshot(string contract)
    {
        var sample = ContractSamples.All().Single(candidate => candidate.GetType().Name == contract);

        var json = JsonSerializer.Serialize(sample, sample.GetType(), new JsonSerializerOptions(FederationJson.Options) { WriteIndented = true });

        json.ShouldMatchApproved(options => options.SubFolder("approved").WithDiscriminator(contract).NoDiff());
    }

    [Fact]
    public void Every_sample_reads_back_equal_to_itself_under_strict_options()
    {
        foreach (var sample in ContractSamples.All().Where(sample => sample is IFederationEvent))
        {
            var json = JsonSerializer.Serialize(sample, sample.GetType(), FederationJson.Options);

            var read = JsonSerializer.Deserialize(json, sample.GetType(), FederationJson.Options);

            JsonSerializer.Serialize(read, sample.GetType(), FederationJson.Options).ShouldBe(json);
        }
    }

    [Fact]
    public void Strict_options_refuse_an_unknown_member()
    {
        const string json = """{"round":1,"outcome":"aborted-below-quorum","acceptedCount":0,"rejectedCount":0,"detail":null,"closedAt":"2026-11-22T09:30:00+00:00","extra":1}""";

        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<RoundClosed>(json, FederationJson.Options));
    }

    [Fact]
    public void Strict_options_refuse_a_missing_member()
    {
        const string json = """{"round":1,"outcome":"aborted-below-quorum","acceptedCount":0,"closedAt":"2026-11-22T09:30:00+00:00"}""";

        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<RoundClosed>(json, FederationJson.Options));
    }

    [Fact]
    public void Every_event_type_has_a_pinned_versioned_name()
    {
        var eventTypes = typeof(IFederationEvent).Assembly.GetTypes()
            .Where(type => type.IsClass && typeof(IFederationEvent).IsAssignableFrom(type));

        foreach (var type in eventTypes)
        {
            EventTypes.NameOf(type).ShouldMatch(@"^federation\.[a-z-]+\.v\d+$");
            EventTypes.TypeOf(EventTypes.NameOf(type)).ShouldBe(type);
        }
    }
}
