using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Federation.Aggregator.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Federation.Aggregator.Tests.Api;

/// <summary>The real aggregator host (in-memory bus, SQLite in a temp folder) with an operator and an auditor token.</summary>
// The type argument only names the host's assembly, whose Program the factory starts.
public class AggregatorApiFactory : WebApplicationFactory<ApiOptions>
{
    public const string OperatorToken = "operator-secret-token";
    public const string AuditorToken = "auditor-secret-token";

    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"federation-api-{Guid.NewGuid():N}");

    internal TestGateway First { get; } = new("factory-1");

    internal TestGateway Second { get; } = new("factory-2");

    public HttpClient ClientWith(string? token)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Aggregator:DataDirectory", dataDirectory);
        builder.UseSetting("Aggregator:Model:Inputs", "4");
        builder.UseSetting("Aggregator:Model:Classes", "3");
        builder.UseSetting("Aggregator:Rounds:Count", "0");
        builder.UseSetting("Aggregator:Gateways:0:Id", First.Id);
        builder.UseSetting("Aggregator:Gateways:0:PublicKey", Convert.ToBase64String(First.Key.PublicKey.Span));
        builder.UseSetting("Aggregator:Gateways:0:AllowedPolicies:0", TestGateway.PolicySha256);
        builder.UseSetting("Aggregator:Gateways:1:Id", Second.Id);
        builder.UseSetting("Aggregator:Gateways:1:PublicKey", Convert.ToBase64String(Second.Key.PublicKey.Span));
        builder.UseSetting("Aggregator:Gateways:1:AllowedPolicies:0", TestGateway.PolicySha256);
        builder.UseSetting("Aggregator:Api:Credentials:0:Name", "model-team");
        builder.UseSetting("Aggregator:Api:Credentials:0:Role", "operator");
        builder.UseSetting("Aggregator:Api:Credentials:0:TokenSha256", Hash(OperatorToken));
        builder.UseSetting("Aggregator:Api:Credentials:1:Name", "auditor");
        builder.UseSetting("Aggregator:Api:Credentials:1:Role", "auditor");
        builder.UseSetting("Aggregator:Api:Credentials:1:TokenSha256", Hash(AuditorToken));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
