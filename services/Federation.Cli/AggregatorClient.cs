using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Federation.Contracts.Api;

namespace Federation.Cli;

/// <summary>Talks to the aggregator's HTTP API with a bearer token; turns its errors into messages a person can act on.</summary>
public sealed class AggregatorClient(HttpClient http)
{
    /// <summary>A client for the aggregator at <paramref name="address"/>, authenticated by the bearer <paramref name="token"/>.</summary>
    public static AggregatorClient Connect(Uri address, string token)
    {
        var http = new HttpClient { BaseAddress = address };
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

    /// <summary>POSTs a multipart form of one JSON part and one file part, streaming the file, and reads JSON.</summary>
    public async Task<T> PostFileAsync<T>(string path, string jsonName, object json, string fileName, string filePath)
    {
        await using var file = File.OpenRead(filePath);
        using var form = new MultipartFormDataContent
        {
            { JsonContent.Create(json, options: ApiJson.Options), jsonName },
            { new StreamContent(file), fileName, Path.GetFileName(filePath) },
        };
        return (await ReadAsync<T>(await SendAsync(() => http.PostAsync(path, form))))!;
    }

    /// <summary>GETs raw bytes with the response headers.</summary>
    public async Task<(byte[] Bytes, HttpResponseHeaders Headers)> GetBytesAsync(string path)
    {
        var response = await SendAsync(() => http.GetAsync(path));
        return (await response.Content.ReadAsByteArrayAsync(), response.Headers);
    }

    /// <summary>GETs raw bytes, reporting the bytes read so far and the total the server announced (if any) as they arrive.</summary>
    public async Task<byte[]> DownloadAsync(string path, Action<long, long?> progress)
    {
        using var response = await SendAsync(() => http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead));
        var total = response.Content.Headers.ContentLength;
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var bytes = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                bytes.Write(buffer, 0, read);
                progress(bytes.Length, total);
            }
        }
        catch (Exception error) when (error is HttpRequestException or IOException)
        {
            throw new CommandFailedException($"The download of {path} from {http.BaseAddress} broke off: {error.Message}");
        }

        return bytes.ToArray();
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
