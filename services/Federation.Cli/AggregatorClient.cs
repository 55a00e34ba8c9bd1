using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Federation.Contracts.Api;

namespace Federation.Cli;

/// <summary>Talks to the aggregator's HTTP API with a bearer token; turns its errors into messages a person can act on.</summary>
public sealed class AggregatorClient(HttpClient http)
{
    /// <summary>
    /// A client for the aggregator named by <c>--aggregator</c> or <c>FEDERATION_AGGREGATOR</c>
    /// (default http://127.0.0.1:5080), authenticated by <c>--token</c> or <c>FEDERATION_TOKEN</c>.
    /// </summary>
    public static AggregatorClient From(CommandArguments arguments)
    {
        var address = arguments.OptionalText("aggregator") ?? Environment.GetEnvironmentVariable("FEDERATION_AGGREGATOR") ?? "http://127.0.0.1:5080";
        var token = arguments.OptionalText("token") ?? Environment.GetEnvironmentVariable("FEDERATION_TOKEN")
            ?? throw new CommandLineException("No API token: pass --token or set FEDERATION_TOKEN.");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            throw new CommandLineException($"--aggregator '{address}' is not an absolute URL such as http://127.0.0.1:5080.");
        }

        var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new AggregatorClient(http);
    }

    /// <summary>GETs and reads JSON.</summary>
    public async Task<T> GetAsync<T>(string path) => (await ReadAsync<T>(await SendAsync(() => http.GetAsync(path))))!;

    /// <summary>POSTs JSON and reads JSON.</summary>
    public async Task<T> PostAsync<T>(string path, object? body) =>
        (await ReadAsync<T>(await SendAsync(() => http.PostAsJsonAsync(path, body ?? new { }, ApiJson.Options))))!;

    /// <summary>PUTs JSON and reads JSON.</summary>
    public async Task<T> PutAsync<T>(string path, object body) =>
        (await ReadAsync<T>(await SendAsync(() => http.PutAsJsonAsync(path, body, ApiJson.Options))))!;

    /// <summary>GETs raw bytes with the response headers.</summary>
    public async Task<(byte[] Bytes, HttpResponseHeaders Headers)> GetBytesAsync(string path)
    {
        var response = await SendAsync(() => http.GetAsync(path));
        return (await response.Content.ReadAsByteArrayAsync(), response.Headers);
    }

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        HttpResponseMessage response;
        try
        {
            response = await send();
        }
        catch (HttpRequestException error)
        {
            throw new CommandFailedException($"Cannot reach the aggregator at {http.BaseAddress}: {error.Message}. Check --aggregator / FEDERATION_AGGREGATOR.");
        }
        catch (TaskCanceledException)
        {
            throw new CommandFailedException($"The aggregator at {http.BaseAddress} did not answer within {http.Timeout.TotalSeconds:0} s.");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var detail = await ProblemDetailAsync(response);
        throw new CommandFailedException(response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "The aggregator does not know this token (401); check --token / FEDERATION_TOKEN.",
            HttpStatusCode.Forbidden => "This token may only read (403); steering rounds and changing gateways need an operator token.",
            _ => $"The aggregator refused ({(int)response.StatusCode}): {detail}",
        });
    }

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ApiJson.Options);
        }
        catch (JsonException error)
        {
            throw new CommandFailedException($"The aggregator's answer is not what fedctl expects ({error.Message}); are --aggregator and fedctl the same version?");
        }
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var problem = JsonDocument.Parse(text);
            return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
