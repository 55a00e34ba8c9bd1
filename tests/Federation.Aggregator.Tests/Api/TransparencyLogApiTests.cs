using System.Net.Http.Json;
using System.Net;
using Federation.Audit.Transparency;
using Federation.Contracts.Api;
using Federation.Coordination.Transparency;
using Federation.EventStore;
using Federation.Trust.Transparency;

namespace Federation.Aggregator.Tests.Api;

/// <summary>What an auditor does with the log: pin the key, verify checkpoints, check each event's inclusion and the log's growth.</summary>
public sealed class TransparencyLogApiTests(AggregatorApiFactory factory) : IClassFixture<AggregatorApiFactory>
{
    private HttpClient Auditor => factory.ClientWith(AggregatorApiFactory.AuditorToken);

    private async Task<Checkpoint> VerifiedCheckpointAsync()
    {
        var verifier = NoteVerifier.Parse((await Auditor.GetStringAsync("/api/log/key")).Trim());
        var note = await Auditor.GetStringAsync("/api/log/checkpoint");
        return Checkpoint.OpenSigned(note, verifier.Name, [verifier]);
    }

    [Fact]
    public async Task Every_event_recomputed_by_the_auditor_is_in_the_signed_checkpoint()
    {
        var checkpoint = await VerifiedCheckpointAsync();
        var events = await Auditor.GetFromJsonAsync<List<RecordedEvent>>("/api/events?limit=1000");

        events!.Count.ShouldBeGreaterThanOrEqualTo((int)checkpoint.Size);
        checkpoint.Size.ShouldBeGreaterThan(0);
        foreach (var recorded in events.Take((int)checkpoint.Size))
        {
            var proof = (await Auditor.GetFromJsonAsync<InclusionProof>($"/api/log/inclusion?position={recorded.Position}&treeSize={checkpoint.Size}"))!;
            var leafHash = MerkleHash.Leaf(EventLeaf.Bytes(recorded));

            leafHash.ShouldBe(proof.LeafHash);
            MerkleProofs.VerifyInclusion(recorded.Position - 1, checkpoint.Size, leafHash, proof.Proof, checkpoint.RootHash).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task A_changed_event_no_longer_proves_inclusion()
    {
        var checkpoint = await VerifiedCheckpointAsync();
        var recorded = (await Auditor.GetFromJsonAsync<List<RecordedEvent>>("/api/events?limit=1"))!.Single();
        var proof = (await Auditor.GetFromJsonAsync<InclusionProof>($"/api/log/inclusion?position=1&treeSize={checkpoint.Size}"))!;

        var tampered = recorded with { Data = recorded.Data.Replace("factory-1", "factory-9") };

        tampered.Data.ShouldNotBe(recorded.Data);
        MerkleProofs.VerifyInclusion(0, checkpoint.Size, MerkleHash.Leaf(EventLeaf.Bytes(tampered)), proof.Proof, checkpoint.RootHash).ShouldBeFalse();
    }

    [Fact]
    public async Task A_later_checkpoint_is_proven_to_extend_an_earlier_one()
    {
        var earlier = await VerifiedCheckpointAsync();
        var operatorClient = factory.ClientWith(AggregatorApiFactory.OperatorToken);
        var opened = await operatorClient.PostAsJsonAsync("/api/rounds", new { durationSeconds = 600 });
        if (opened.StatusCode == HttpStatusCode.Created)
        {
            await operatorClient.PostAsync($"/api/rounds/{(await opened.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("round").GetInt32()}/abort", null);
        }

        var later = await VerifiedCheckpointAsync();
        var proof = (await Auditor.GetFromJsonAsync<ConsistencyProof>($"/api/log/consistency?from={earlier.Size}&to={later.Size}"))!;

        later.Size.ShouldBeGreaterThan(earlier.Size);
        MerkleProofs.VerifyConsistency(earlier.Size, later.Size, proof.Proof, earlier.RootHash, later.RootHash).ShouldBeTrue();
    }

    [Fact]
    public async Task Proofs_outside_the_history_are_refused_with_the_reason()
    {
        var response = await Auditor.GetAsync("/api/log/inclusion?position=1&treeSize=100000");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("treeSize");
    }

    [Fact]
    public async Task The_log_needs_a_credential()
    {
        (await factory.ClientWith(null).GetAsync("/api/log/checkpoint")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
