using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Federation.Aggregator.Api;
using Federation.Coordination.Payloads;
using Federation.Site.Outbox;
using Federation.Trust;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Tests.Api;

/// <summary>A gateway's <see cref="HttpPayloadDestination"/> against the real aggregator host's upload endpoints.</summary>
public sealed class PayloadUploadApiTests(AggregatorApiFactory factory) : IClassFixture<AggregatorApiFactory>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("federation-upload-api-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private PayloadStore Store => factory.Services.GetRequiredService<PayloadStore>();

    private (string Sha256, string File, byte[] Bytes) Payload(int length = 3_000_000)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        var sha256 = Sha256Hex.Of(bytes);
        var file = Path.Combine(folder, sha256);
        File.WriteAllBytes(file, bytes);
        return (sha256, file, bytes);
    }

    private HttpPayloadDestination Destination(DelegatingHandler? handler = null) => new(
        handler is null ? factory.CreateClient() : factory.CreateDefaultClient(new Uri("http://localhost"), handler),
        new Uri("http://localhost"), factory.First.Id, factory.First.Key, TimeProvider.System);

    [Fact]
    public async Task A_gateway_uploads_a_payload_which_enters_the_store_under_its_hash()
    {
        var (sha256, file, bytes) = Payload();

        await Destination().SendAsync(sha256, file, CancellationToken.None);

        Store.Get(sha256).ShouldBe(bytes);
        var status = await factory.CreateClient().SendAsync(Signed(HttpMethod.Head, sha256));
        status.StatusCode.ShouldBe(HttpStatusCode.OK);
        status.Headers.GetValues(PayloadUploadEndpoints.OffsetHeader).Single().ShouldBe(bytes.Length.ToString(CultureInfo.InvariantCulture));
        status.Headers.GetValues(PayloadUploadEndpoints.CompleteHeader).Single().ShouldBe("?1");
    }

    [Fact]
    public async Task An_upload_cut_off_midway_resumes_from_the_bytes_the_aggregator_holds_without_sending_them_again()
    {
        // Given an upload that broke off after its first million bytes
        var (sha256, file, bytes) = Payload();
        var first = Signed(HttpMethod.Patch, sha256);
        first.Headers.Add(PayloadUploadEndpoints.OffsetHeader, "0");
        first.Headers.Add(PayloadUploadEndpoints.LengthHeader, bytes.Length.ToString(CultureInfo.InvariantCulture));
        first.Content = new ByteArrayContent(bytes[..1_000_000]);
        (await factory.CreateClient().SendAsync(first)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // When the gateway sends the payload again
        var appends = new List<string>();
        await Destination(new AppendOffsets(appends)).SendAsync(sha256, file, CancellationToken.None);

        // Then it sent only the rest, and the store holds the whole
        appends.ShouldBe(["1000000"]);
        Store.AssemblyFailure(sha256).ShouldBeNull();
        Store.Get(sha256).ShouldBe(bytes);
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_their_name_are_discarded_with_422_and_the_reason_kept_for_the_contribution()
    {
        var (_, file, bytes) = Payload();
        var wrongName = new string('d', 64);
        File.Move(file, Path.Combine(folder, wrongName));

        // The gateway does not retry a discard: its contribution is rejected with the kept reason instead.
        await Destination().SendAsync(wrongName, Path.Combine(folder, wrongName), CancellationToken.None);

        Store.Contains(wrongName).ShouldBeFalse();
        Store.AssemblyFailure(wrongName).ShouldNotBeNull().ShouldContain(Sha256Hex.Of(bytes));
    }

    [Fact]
    public async Task An_append_at_the_wrong_offset_gets_409_with_the_offset_held()
    {
        var (sha256, _, bytes) = Payload();
        var request = Signed(HttpMethod.Patch, sha256);
        request.Headers.Add(PayloadUploadEndpoints.OffsetHeader, "5");
        request.Headers.Add(PayloadUploadEndpoints.LengthHeader, bytes.Length.ToString(CultureInfo.InvariantCulture));
        request.Content = new ByteArrayContent(bytes[5..10]);

        var response = await factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        response.Headers.GetValues(PayloadUploadEndpoints.OffsetHeader).Single().ShouldBe("0");
    }

    [Fact]
    public async Task An_append_without_its_headers_gets_400_naming_them()
    {
        var (sha256, _, bytes) = Payload(10);
        var request = Signed(HttpMethod.Patch, sha256);
        request.Content = new ByteArrayContent(bytes);

        var response = await factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(PayloadUploadEndpoints.OffsetHeader);
    }

    [Fact]
    public async Task An_unsigned_upload_gets_401_even_with_an_operator_token()
    {
        var (sha256, _, bytes) = Payload(10);
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/payloads/{sha256}") { Content = new ByteArrayContent(bytes) };

        var response = await factory.ClientWith(AggregatorApiFactory.OperatorToken).SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        Store.Contains(sha256).ShouldBeFalse();
    }

    [Fact]
    public async Task An_upload_signed_by_an_unenrolled_gateway_gets_401_naming_it_and_the_gateway_sees_the_refusal()
    {
        var (sha256, file, _) = Payload(10);
        var stranger = new TestGateway("stranger");
        var destination = new HttpPayloadDestination(factory.CreateClient(), new Uri("http://localhost"), stranger.Id, stranger.Key, TimeProvider.System);

        var refusal = await Should.ThrowAsync<HttpRequestException>(() => destination.SendAsync(sha256, file, CancellationToken.None));

        refusal.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        Store.Contains(sha256).ShouldBeFalse();
    }

    private HttpRequestMessage Signed(HttpMethod method, string sha256)
    {
        var request = new HttpRequestMessage(method, new Uri($"http://localhost/api/payloads/{sha256}"));
        HttpMessageSignature.SignRequest(request, DateTimeOffset.UtcNow, factory.First.Id, factory.First.Key);
        return request;
    }

    /// <summary>Notes the <c>Upload-Offset</c> of every append the gateway sends.</summary>
    private sealed class AppendOffsets(List<string> offsets) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Patch)
            {
                offsets.Add(request.Headers.GetValues(PayloadUploadEndpoints.OffsetHeader).Single());

            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
