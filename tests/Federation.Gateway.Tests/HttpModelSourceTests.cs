using System.Net;
using System.Net.Http.Headers;
using Federation.Contracts.Messages;
using Federation.Site.Models;
using Federation.Trust;
using Microsoft.Extensions.Time.Testing;

namespace Federation.Gateway.Tests;

public sealed class HttpModelSourceTests : IDisposable
{
    private static readonly ModelReference Model = new(new string('e', 64), 100);
    private readonly Ed25519KeyPair key = Ed25519KeyPair.Generate();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero));

    public void Dispose() => key.Dispose();

    [Fact]
    public async Task The_request_asks_for_the_rest_from_the_offset_and_carries_a_signature_that_verifies()
    {
        var handler = new Answering(request =>
        {
            var content = new ByteArrayContent(new byte[60]);
            content.Headers.ContentRange = new ContentRangeHeaderValue(40, 99, 100);
            return new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = content };
        });
        var destination = new MemoryStream();

        await Source(handler).CopyToAsync(Model, 40, destination, CancellationToken.None);

        var sent = handler.Sent.ShouldNotBeNull();
        sent.RequestUri!.AbsoluteUri.ShouldBe($"https://aggregator.example/federation/api/model-files/{Model.Sha256}");
        sent.Headers.Range!.ToString().ShouldBe("bytes=40-");
        var signed = HttpMessageSignature.TryRead(
            sent.Headers.GetValues(HttpMessageSignature.InputHeader).Single(), sent.Headers.GetValues(HttpMessageSignature.SignatureHeader).Single(), out var reason)
            .ShouldNotBeNull(reason);
        signed.GatewayId.ShouldBe("plant-7");
        HttpMessageSignature.Verify(signed, "GET", sent.RequestUri.AbsoluteUri, key.PublicKey.Span, clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeNull();
        destination.Length.ShouldBe(60);
    }

    [Fact]
    public async Task A_refusal_names_the_hash_and_the_status()
    {
        var handler = new Answering(_ => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("not published") });

        var refused = await Should.ThrowAsync<HttpRequestException>(() => Source(handler).CopyToAsync(Model, 0, new MemoryStream(), CancellationToken.None));

        refused.Message.ShouldContain(Model.Sha256);
        refused.Message.ShouldContain("404");
        refused.Message.ShouldContain("not published");
    }

    [Fact]
    public async Task A_whole_file_answer_to_a_resumed_request_is_refused_rather_than_appended()
    {
        var handler = new Answering(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[100]) });
        var destination = new MemoryStream();

        await Should.ThrowAsync<HttpRequestException>(() => Source(handler).CopyToAsync(Model, 40, destination, CancellationToken.None));

        destination.Length.ShouldBe(0);
    }

    private HttpModelSource Source(HttpMessageHandler handler) =>
        new(new HttpClient(handler), new Uri("https://aggregator.example/federation"), "plant-7", key, clock);

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public HttpRequestMessage? Sent { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sent = request;
            return Task.FromResult(answer(request));
        }
    }
}
