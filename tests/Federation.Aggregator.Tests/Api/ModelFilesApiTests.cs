using System.Net;
using System.Net.Http.Headers;
using Federation.Contracts.Messages;
using Federation.Site.Models;
using Federation.Trust;

namespace Federation.Aggregator.Tests.Api;

public sealed class ModelFilesApiTests(AggregatorApiFactory factory) : IClassFixture<AggregatorApiFactory>
{
    private static readonly string InitialModel = TestGateway.BaseModelSha256;

    [Fact]
    public async Task A_gateway_signed_request_downloads_the_published_model_whole()
    {
        var response = await factory.CreateClient().SendAsync(Signed($"/api/model-files/{InitialModel}", factory.First));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Sha256Hex.Of(await response.Content.ReadAsByteArrayAsync()).ShouldBe(InitialModel);
    }

    [Fact]
    public async Task A_range_request_returns_206_with_the_bytes_from_the_offset_on()
    {
        var whole = await (await factory.ClientWith(AggregatorApiFactory.AuditorToken).GetAsync($"/api/model-files/{InitialModel}")).Content.ReadAsByteArrayAsync();
        var request = Signed($"/api/model-files/{InitialModel}", factory.First);
        request.Headers.Range = new RangeHeaderValue(10, null);

        var response = await factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(whole[10..]);
        response.Content.Headers.ContentRange!.Length.ShouldBe(whole.Length);
    }

    [Fact]
    public async Task An_unsigned_request_without_a_token_gets_401()
    {
        var response = await factory.CreateClient().GetAsync($"/api/model-files/{InitialModel}");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_request_signed_for_another_url_gets_401_naming_the_mismatch()
    {
        var request = Signed($"/api/model-files/{InitialModel}", factory.First);
        request.RequestUri = new Uri($"http://localhost/api/model-files/{new string('0', 64)}");

        var response = await factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).ShouldContain("does not match");
    }

    [Fact]
    public async Task A_request_signed_by_an_unenrolled_gateway_gets_401_naming_it()
    {
        var response = await factory.CreateClient().SendAsync(Signed($"/api/model-files/{InitialModel}", new TestGateway("stranger")));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).ShouldContain("stranger");
    }

    [Fact]
    public async Task An_unpublished_hash_gets_404_naming_it()
    {
        var unknown = new string('c', 64);

        var response = await factory.CreateClient().SendAsync(Signed($"/api/model-files/{unknown}", factory.First));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldContain(unknown);
    }

    [Fact]
    public async Task A_name_that_is_not_a_lowercase_sha256_gets_400()
    {
        var response = await factory.CreateClient().SendAsync(Signed($"/api/model-files/{InitialModel.ToUpperInvariant()}", factory.First));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_gateway_model_cache_downloads_the_published_model_through_the_signed_http_source()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"federation-model-cache-{Guid.NewGuid():N}");
        try
        {
            var length = (await (await factory.ClientWith(AggregatorApiFactory.AuditorToken).GetAsync($"/api/model-files/{InitialModel}")).Content.ReadAsByteArrayAsync()).Length;
            var source = new HttpModelSource(factory.CreateClient(), new Uri("http://localhost"), factory.First.Id, factory.First.Key, TimeProvider.System);

            var path = await new ModelCache(directory, source).GetAsync(new ModelReference(InitialModel, length));

            Sha256Hex.Of(await File.ReadAllBytesAsync(path)).ShouldBe(InitialModel);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static HttpRequestMessage Signed(string path, TestGateway gateway)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("http://localhost" + path));
        var headers = HttpMessageSignature.Sign("GET", request.RequestUri!, DateTimeOffset.UtcNow, gateway.Id, gateway.Key);
        request.Headers.TryAddWithoutValidation(HttpMessageSignature.InputHeader, headers.SignatureInput);
        request.Headers.TryAddWithoutValidation(HttpMessageSignature.SignatureHeader, headers.Signature);
        return request;
    }
}
