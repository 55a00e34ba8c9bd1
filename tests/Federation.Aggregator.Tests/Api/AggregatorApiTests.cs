using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Federation.Trust;

namespace Federation.Aggregator.Tests.Api;

public sealed class AggregatorApiTests : IClassFixture<AggregatorApiFactory>
{
    private static readonly (string Method, string Path)[] ReadEndpoints =
        [("GET", "/api/rounds"), ("GET", "/api/rounds/1"), ("GET", "/api/models"), ("GET", "/api/models/0"),
         ("GET", "/api/models/0/safetensors"), ("GET", "/api/models/0/metrics"), ("GET", "/api/events"),
         ("GET", "/api/log/checkpoint"), ("GET", "/api/gateways"), ("GET", $"/api/payloads/{new string('0', 64)}"),
         ("GET", "/api/gateways/factory-1/policies")];

    private static readonly (string Method, string Path)[] WriteEndpoints =
        [("POST", "/api/rounds"), ("POST", "/api/rounds/1/abort"), ("POST", "/api/gateways"), ("POST", "/api/gateways/factory-1/rotate"),
         ("POST", $"/api/gateways/factory-1/keys/{new string('0', 64)}/revoke"), ("PUT", "/api/gateways/factory-1/policies")];

    private readonly AggregatorApiFactory factory;

    public AggregatorApiTests(AggregatorApiFactory factory) => this.factory = factory;

    public static TheoryData<string, string> AllEndpoints() => Data(ReadEndpoints.Concat(WriteEndpoints));

    public static TheoryData<string, string> Writes() => Data(WriteEndpoints);

    private static TheoryData<string, string> Data(IEnumerable<(string Method, string Path)> endpoints)
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, path) in endpoints)
        {
            data.Add(method, path);
        }

        return data;
    }

    private static HttpRequestMessage Request(string method, string path) =>
        new(new HttpMethod(method), path) { Content = method is "POST" or "PUT" ? JsonContent.Create(new { }) : null };

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task Requests_without_a_token_get_401(string method, string path)
    {
        var response = await factory.ClientWith(null).SendAsync(Request(method, path));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task Requests_with_an_unknown_token_get_401(string method, string path)
    {
        var response = await factory.ClientWith("not-a-token").SendAsync(Request(method, path));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task The_auditor_gets_403_on_every_write_endpoint(string method, string path)
    {
        var response = await factory.ClientWith(AggregatorApiFactory.AuditorToken).SendAsync(Request(method, path));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_auditor_can_read_the_model_registry_and_download_a_version_that_matches_its_hash()
    {
        var auditor = factory.ClientWith(AggregatorApiFactory.AuditorToken);

        var models = await auditor.GetFromJsonAsync<JsonElement>("/api/models");
        var response = await auditor.GetAsync("/api/models/0/safetensors");

        models.GetArrayLength().ShouldBeGreaterThanOrEqualTo(1);
        var announced = models[0].GetProperty("modelSha256").GetString();
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Model-Sha256").Single().ShouldBe(announced);
        Sha256Hex.Of(await response.Content.ReadAsByteArrayAsync()).ShouldBe(announced);
    }

    [Fact]
    public async Task The_operator_opens_a_round_with_a_strategy_cannot_open_a_second_and_aborts_it()
    {
        var operatorClient = factory.ClientWith(AggregatorApiFactory.OperatorToken);

        var opened = await operatorClient.PostAsJsonAsync("/api/rounds", new { strategy = "fedmedian", minParticipants = 2, durationSeconds = 600 });
        var second = await operatorClient.PostAsJsonAsync("/api/rounds", new { });
        var round = (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("round").GetInt32();
        var details = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/rounds/{round}");
        var aborted = await operatorClient.PostAsync($"/api/rounds/{round}/abort", null);
        var abortedAgain = await operatorClient.PostAsync($"/api/rounds/{round}/abort", null);

        opened.StatusCode.ShouldBe(HttpStatusCode.Created);
        details.GetProperty("opened").GetProperty("strategy").GetString().ShouldBe("fedmedian");
        second.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        aborted.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await aborted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString().ShouldBe("aborted-by-operator");
        abortedAgain.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("""{"strategy":"no-such-strategy"}""", "no-such-strategy")]
    [InlineData("""{"minParticipants":5}""", "minParticipants")]
    [InlineData("""{"invited":["factory-9"]}""", "factory-9")]
    public async Task A_round_that_cannot_run_is_refused_with_the_reason(string body, string named)
    {
        var response = await factory.ClientWith(AggregatorApiFactory.OperatorToken)
            .PostAsync("/api/rounds", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(named);
    }

    [Fact]
    public async Task The_operator_enrols_rotates_and_revokes_a_key_and_each_change_is_an_event_naming_the_operator()
    {
        var operatorClient = factory.ClientWith(AggregatorApiFactory.OperatorToken);
        using var first = Ed25519KeyPair.Generate();
        using var second = Ed25519KeyPair.Generate();
        var before = await LastPositionAsync(operatorClient);

        var enrolled = await operatorClient.PostAsJsonAsync("/api/gateways",
            new { id = "factory-api-1", publicKey = Convert.ToBase64String(first.PublicKey.Span), allowedPolicies = new[] { TestGateway.PolicySha256 } });
        var rotated = await operatorClient.PostAsJsonAsync("/api/gateways/factory-api-1/rotate",
            new { publicKey = Convert.ToBase64String(second.PublicKey.Span), overlapHours = 2 });
        var revoked = await operatorClient.PostAsJsonAsync($"/api/gateways/factory-api-1/keys/{first.KeyId}/revoke", new { reason = "laptop stolen" });
        var keys = await factory.ClientWith(AggregatorApiFactory.AuditorToken).GetFromJsonAsync<JsonElement>("/api/gateways");
        var events = (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/events?from={before + 1}")).EnumerateArray()
            .Where(entry => entry.GetProperty("streamId").GetString()!.Contains("factory-api-1", StringComparison.Ordinal)).ToList();

        enrolled.StatusCode.ShouldBe(HttpStatusCode.Created);
        rotated.StatusCode.ShouldBe(HttpStatusCode.OK);
        revoked.StatusCode.ShouldBe(HttpStatusCode.OK);
        var mine = keys.EnumerateArray().Where(key => key.GetProperty("id").GetString() == "factory-api-1").ToList();
        mine.Select(key => key.GetProperty("keyId").GetString()).ShouldBe(new[] { first.KeyId, second.KeyId });
        mine[0].GetProperty("revokedAt").ValueKind.ShouldBe(JsonValueKind.String);
        mine[0].GetProperty("validUntil").ValueKind.ShouldBe(JsonValueKind.String);
        mine[1].GetProperty("revokedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        events.Select(entry => entry.GetProperty("type").GetString()).ShouldBe(
            new[] { "federation.gateway-key-enrolled.v1", "federation.gateway-key-rotated.v1", "federation.gateway-key-revoked.v1" });
        var data = events.Select(entry => JsonDocument.Parse(entry.GetProperty("data").GetString()!).RootElement).ToList();
        data[0].GetProperty("enrolledBy").GetString().ShouldBe("model-team");
        data[1].GetProperty("rotatedBy").GetString().ShouldBe("model-team");
        data[2].GetProperty("revokedBy").GetString().ShouldBe("model-team");
        data[2].GetProperty("reason").GetString().ShouldBe("laptop stolen");
    }

    [Fact]
    public async Task Enrolment_errors_come_back_as_problems_with_a_message()
    {
        var operatorClient = factory.ClientWith(AggregatorApiFactory.OperatorToken);
        using var key = Ed25519KeyPair.Generate();

        var again = await operatorClient.PostAsJsonAsync("/api/gateways",
            new { id = "factory-1", publicKey = Convert.ToBase64String(key.PublicKey.Span), allowedPolicies = new[] { TestGateway.PolicySha256 } });
        var unknown = await operatorClient.PostAsJsonAsync($"/api/gateways/factory-9/keys/{key.KeyId}/revoke", new { reason = "gone" });

        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        again.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!.ShouldContain("already enrolled");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!.ShouldContain("factory-9");
    }

    private static async Task<long> LastPositionAsync(HttpClient client)
    {
        var events = await client.GetFromJsonAsync<JsonElement>("/api/events");
        return events.GetArrayLength() == 0 ? 0 : events[events.GetArrayLength() - 1].GetProperty("position").GetInt64();
    }

    [Fact]
    public async Task An_unknown_round_or_version_is_404()
    {
        var auditor = factory.ClientWith(AggregatorApiFactory.AuditorToken);

        (await auditor.GetAsync("/api/rounds/999")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/models/999")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
